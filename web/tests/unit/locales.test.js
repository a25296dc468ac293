import { describe, it, expect } from 'vitest'
import { readFileSync, readdirSync } from 'node:fs'
import zhCN from '../../src/shared/locales/zh-CN.json'
import en from '../../src/shared/locales/en.json'
import zhTW from '../../src/shared/locales/zh-TW.json'

function keys(o, prefix = '') {
  return Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`])).sort()
}

// Every t('…') key with a fixed name in the screens' sources.
function usedKeys() {
  const root = new URL('../../src/', import.meta.url).pathname
  const found = new Set()
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(dir + e.name + '/')
      else if (/\.(vue|js)$/.test(e.name)) {
        for (const m of readFileSync(dir + e.name, 'utf8').matchAll(/\bt\('([a-zA-Z0-9_.]+)'/g)) found.add(m[1])
      }
    }
  }
  walk(root)
  return [...found]
}

describe('messages', () => {
  it('are the same keys in every language', () => {
    expect(keys(en)).toEqual(keys(zhCN))
    expect(keys(zhTW)).toEqual(keys(zhCN))
  })
  it('have every key the screens ask for by name', () => {
    const all = new Set(keys(zhCN))
    const missing = usedKeys().filter((k) => !all.has(k) && !k.endsWith('.'))
    expect(missing).toEqual([])
  })
})
