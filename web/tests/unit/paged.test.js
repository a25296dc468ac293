import { describe, it, expect } from 'vitest'
import { usePaged } from '../../src/console/paged.js'

describe('usePaged', () => {
  it('reads the first page, appends the next, and stops at the end', async () => {
    const pages = { undefined: { items: [1, 2], next: 2 }, 2: { items: [3], next: null } }
    const asked = []
    const list = usePaged(async (cursor) => { asked.push(cursor); return pages[cursor] })
    await list.reload()
    expect(list.items.value).toEqual([1, 2])
    expect(list.next.value).toBe(2)
    await list.more()
    expect(list.items.value).toEqual([1, 2, 3])
    expect(list.next.value).toBe(null)
    expect(asked).toEqual([undefined, 2])
    await list.reload()
    expect(list.items.value).toEqual([1, 2]) // a reload starts again, not appends
  })

  it('keeps what it had and reports the error when a page fails', async () => {
    let fail = false
    const list = usePaged(async () => { if (fail) throw new Error('offline'); return { items: ['a'], next: 'a' } })
    await list.reload()
    fail = true
    await list.more()
    expect(list.items.value).toEqual(['a'])
    expect(list.error.value.message).toBe('offline')
    expect(list.loading.value).toBe(false)
  })
})
