import { describe, it, expect } from 'vitest'
import { dateTime, span, percent } from '../../src/shared/format.js'

describe('dateTime', () => {
  it('writes China time whatever the machine zone', () => {
    // 2026-11-29T16:30Z is half past midnight the next day in Shanghai.
    expect(dateTime(Date.UTC(2026, 10, 29, 16, 30))).toBe('2026-11-30 00:30')
    expect(dateTime('2026-11-29T01:05:00.000Z')).toBe('2026-11-29 09:05')
  })
  it('writes nothing for no time or a bad one', () => {
    expect(dateTime(null)).toBe('')
    expect(dateTime('')).toBe('')
    expect(dateTime('not a date')).toBe('')
  })
})

describe('span', () => {
  it('rounds to minutes and drops minutes past a day', () => {
    expect(span(0)).toBe('0分')
    expect(span(59 * 60000 + 40000)).toBe('1小时')
    expect(span(3 * 3600000 + 20 * 60000)).toBe('3小时20分')
    expect(span(26 * 3600000 + 5 * 60000)).toBe('1天2小时')
    expect(span(-90 * 60000, false)).toBe('1 h 30 min')
  })
})

describe('percent', () => {
  it('shows a dash when there is nothing to divide', () => {
    expect(percent(null)).toBe('—')
    expect(percent(0.8734)).toBe('87.3%')
    expect(percent(1)).toBe('100.0%')
  })
})
