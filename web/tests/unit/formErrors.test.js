import { describe, it, expect } from 'vitest'
import { ref } from 'vue'
import { useFieldErrors } from '../../src/console/formErrors.js'

describe('useFieldErrors', () => {
  it('puts a refusal beside the field the form shows, and any other above the buttons', () => {
    const showDepartment = ref(false)
    const { error, of, general } = useFieldErrors(() => ['note', ...(showDepartment.value ? ['department'] : [])])
    expect(of('note')).toBe('')
    expect(general.value).toBe('')
    error.value = { field: 'note', message: 'say why' }
    expect(of('note')).toBe('say why')
    expect(general.value).toBe('')
    error.value = { field: 'department', message: 'no such department' }
    expect(general.value).toBe('no such department') // not on the form now: not lost
    showDepartment.value = true
    expect(general.value).toBe('')
    expect(of('department')).toBe('no such department')
    error.value = { field: null, message: 'conflict' }
    expect(general.value).toBe('conflict')
  })
})
