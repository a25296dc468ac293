// Languages: simplified Chinese first, English and traditional Chinese switchable; the choice is
// kept on the device. Dates and times are always shown in China time (Asia/Shanghai).
import { createI18n } from 'vue-i18n'
import zhCN from './locales/zh-CN.json'
import en from './locales/en.json'
import zhTW from './locales/zh-TW.json'
import * as fmt from './format.js'

export const LANGUAGES = [
  { code: 'zh-CN', label: '简体中文' },
  { code: 'zh-TW', label: '繁體中文' },
  { code: 'en', label: 'English' },
]
const KEY = 'linli.lang'

function initial() {
  const saved = localStorage.getItem(KEY)
  return LANGUAGES.some((l) => l.code === saved) ? saved : 'zh-CN'
}

export const i18n = createI18n({
  legacy: false,
  locale: initial(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en, 'zh-TW': zhTW },
})

export function setLanguage(code) {
  i18n.global.locale.value = code
  localStorage.setItem(KEY, code)
  document.documentElement.lang = code
}
document.documentElement.lang = initial()

// Dates in China time and spans in the chosen language (the rules live in format.js).
const chinese = () => i18n.global.locale.value !== 'en'
export const dateTime = (v) => fmt.dateTime(v)
export const date = (v) => fmt.dateTime(v).slice(0, 10)
export const span = (ms) => fmt.span(ms, chinese())
export const percent = fmt.percent
