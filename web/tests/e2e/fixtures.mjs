// Files the browser tests hand to the app: a real PNG photo and a real XLSX roster.
import { deflateSync, crc32 } from 'node:zlib'
import ExcelJS from 'exceljs'

// A width×height PNG of one colour (RGB), encoded by hand: signature, IHDR, IDAT, IEND.
export function pngPhoto(width = 64, height = 48, rgb = [200, 80, 40]) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length)
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body) >>> 0)
    return Buffer.concat([len, body, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8; ihdr[9] = 2  // 8-bit RGB
  const raw = Buffer.alloc((width * 3 + 1) * height)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set(rgb, y * (width * 3 + 1) + 1 + x * 3)
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
}

// A roster in the import template's columns; `rows` are arrays in that order.
export const ROSTER_HEADER = ['楼栋编号', '单元', '房号', '姓名', '与户主关系', '性别', '出生日期', '身份证号', '手机号', '民族', '居住类型', '职业', '标签', '残疾等级']
export async function xlsxRoster(rows) {
  return xlsxSheet('居民', ROSTER_HEADER, rows)
}

// Buildings in the buildings template's columns.
export const BUILDINGS_HEADER = ['楼栋编号', '楼栋名称', '所属网格编码', '地址', '经度', '纬度', '层数', '单元数']
export async function xlsxBuildings(rows) {
  return xlsxSheet('楼栋', BUILDINGS_HEADER, rows)
}

async function xlsxSheet(name, header, rows) {
  const book = new ExcelJS.Workbook()
  const sheet = book.addWorksheet(name)
  sheet.addRow(header)
  for (const r of rows) sheet.addRow(r)
  return Buffer.from(await book.xlsx.writeBuffer())
}

// A valid 18-digit ID number (GB 11643 check digit) for a birth date and a sequence.
export function idNumber(birth, seq) {
  const body = '320581' + birth.replaceAll('-', '') + String(seq).padStart(3, '0')
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = [...body].reduce((s, d, i) => s + Number(d) * w[i], 0)
  return body + '10X98765432'[sum % 11]
}
