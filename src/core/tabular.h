// Spreadsheets in and out: CSV (UTF-8, or GBK/GB18030 as Chinese Excel saves it) and XLSX.
//
// Community workers keep rosters in Excel; these functions turn a file's bytes into rows of text
// cells and rows of text cells into a file. Reading XLSX uses minizip + expat on the first
// worksheet; writing uses libxlsxwriter. Nothing here knows what the columns mean.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace linli::tabular {

using Row = std::vector<std::string>;

struct Sheet {
  std::vector<Row> rows;
  std::string encoding = "utf-8";  // what the file was in ("gb18030" when converted)
};

enum class Format { kCsv, kXlsx };
// From a name or media type: "csv", "text/csv", "xlsx", "application/vnd.openxmlformats-...".
Result<Format> ParseFormat(std::string_view s, std::string_view field = "format");
// Sniffs the bytes: a ZIP header means XLSX.
Format Sniff(std::string_view bytes);

bool IsValidUtf8(std::string_view s);
// Converts GB18030 (a superset of GBK and GB2312) to UTF-8; fails on bytes that are neither.
Result<std::string> Gb18030ToUtf8(std::string_view s);

// Parses RFC 4180 CSV: quoted fields with "" escapes and embedded newlines; a UTF-8 BOM is
// dropped; non-UTF-8 input is converted from GB18030 when it decodes, refused otherwise.
Result<Sheet> ReadCsv(std::string_view bytes, std::size_t max_rows);
// Reads the first worksheet of an XLSX file. Numbers come back as Excel wrote them (dates as
// serial day numbers; see ExcelSerialToIso).
Result<Sheet> ReadXlsx(std::string_view bytes, std::size_t max_rows);
Result<Sheet> Read(std::string_view bytes, Format format, std::size_t max_rows);

// "45321" (days since 1899-12-30) → "2024-01-30"; empty when the text is not such a number.
std::string ExcelSerialToIso(std::string_view serial);

// CSV with a UTF-8 BOM (so Excel opens Chinese text correctly) and CRLF line ends. Cells that
// start with = + - @ are prefixed with ' so a spreadsheet never runs them as formulas.
std::string WriteCsv(const std::vector<Row>& rows);
// One worksheet named `sheet_name`; every cell is text (so ID numbers keep all 18 digits).
Result<std::string> WriteXlsx(const std::vector<Row>& rows, const std::string& sheet_name);

}  // namespace linli::tabular
