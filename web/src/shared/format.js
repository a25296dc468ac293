// How times and figures are written on screen. Every date and time is China time (Asia/Shanghai),
// whatever the browser's own zone, because that is the time the grid works in.
const ZONE = 'Asia/Shanghai'
const parts = new Intl.DateTimeFormat('en-CA', {
  timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
})

function toDate(v) {
  if (v === null || v === undefined || v === '') return null
  const d = typeof v === 'number' ? new Date(v) : new Date(String(v))
  return isNaN(d) ? null : d
}

// "2026-11-29 14:05" for epoch milliseconds or an ISO string; '' for nothing.
export function dateTime(v) {
  const d = toDate(v)
  if (!d) return ''
  const p = Object.fromEntries(parts.formatToParts(d).map((x) => [x.type, x.value]))
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}

// A span of milliseconds, rounded to minutes: "1天3小时" / "1 d 3 h"; minutes only under a day.
export function span(ms, chinese = true) {
  const m = Math.max(0, Math.round(Math.abs(ms) / 60000))
  const days = Math.floor(m / 1440), hours = Math.floor((m % 1440) / 60), mins = m % 60
  const out = []
  if (days) out.push(chinese ? `${days}天` : `${days} d`)
  if (hours) out.push(chinese ? `${hours}小时` : `${hours} h`)
  if (!days && (mins || !out.length)) out.push(chinese ? `${mins}分` : `${mins} min`)
  return out.join(chinese ? '' : ' ')
}

// 0.8734 → "87.3%"; no rate (nothing to divide) → "—".
export function percent(rate) {
  return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`
}
