// Writes a .gz beside every built script, style sheet, page and SVG: `linli serve` sends it to
// browsers that accept gzip, so a grid worker's phone downloads a third of the bytes.
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync, constants } from 'node:zlib'

const root = new URL('../dist/', import.meta.url).pathname
const wanted = /\.(js|css|html|svg|json)$/
let files = 0, raw = 0, packed = 0
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) { walk(path); continue }
    if (!wanted.test(name)) continue
    const data = readFileSync(path)
    const gz = gzipSync(data, { level: constants.Z_BEST_COMPRESSION })
    writeFileSync(path + '.gz', gz)
    files++; raw += data.length; packed += gz.length
  }
}
walk(root)
console.log(`compressed ${files} files: ${(raw / 1024).toFixed(0)} KB → ${(packed / 1024).toFixed(0)} KB`)
