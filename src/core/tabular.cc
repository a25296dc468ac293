#include "core/tabular.h"

#include <expat.h>
#include <iconv.h>
#include <minizip/unzip.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace linli::tabular {

Result<Format> ParseFormat(std::string_view s, std::string_view field) {
  if (s == "csv" || s.starts_with("text/csv")) return Format::kCsv;
  if (s == "xlsx" || s.starts_with("application/vnd.openxmlformats-officedocument.spreadsheetml")) return Format::kXlsx;
  return Error::Invalid(std::string(field), "format must be csv or xlsx");
}

Format Sniff(std::string_view bytes) { return bytes.starts_with("PK\x03\x04") ? Format::kXlsx : Format::kCsv; }

bool IsValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    int n = 0;
    if (c < 0x80) n = 0;
    else if (c >= 0xC2 && c < 0xE0) n = 1;  // 0xC0/0xC1 would be overlong
    else if ((c >> 4) == 0xE) n = 2;
    else if (c >= 0xF0 && c < 0xF5) n = 3;
    else return false;
    if (i + n >= s.size() && n > 0) return false;
    for (int k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

Result<std::string> Gb18030ToUtf8(std::string_view s) {
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) return Error::Internal("iconv has no GB18030");
  std::string out(s.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(s.data());
  std::size_t in_left = s.size();
  char* o = out.data();
  std::size_t out_left = out.size();
  std::size_t rc = iconv(cd, &in, &in_left, &o, &out_left);
  iconv_close(cd);
  if (rc == static_cast<std::size_t>(-1) || in_left != 0) {
    return Error::Invalid("file", "the file is neither UTF-8 nor GBK/GB18030 text; save it as CSV UTF-8 or XLSX");
  }
  out.resize(out.size() - out_left);
  return out;
}

Result<Sheet> ReadCsv(std::string_view bytes, std::size_t max_rows) {
  Sheet sheet;
  std::string converted;
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
  if (!IsValidUtf8(bytes)) {
    LINLI_ASSIGN_OR_RETURN(converted, Gb18030ToUtf8(bytes));
    bytes = converted;
    sheet.encoding = "gb18030";
  }
  Row row;
  std::string cell;
  bool quoted = false, any = false;
  auto end_row = [&]() -> Status {
    row.push_back(std::move(cell));
    cell.clear();
    bool blank = row.size() == 1 && row[0].empty();
    if (!blank) {
      if (sheet.rows.size() >= max_rows) {
        return Error::Invalid("file", "the file has more than " + std::to_string(max_rows) + " rows");
      }
      sheet.rows.push_back(std::move(row));
    }
    row.clear();
    any = false;
    return Ok();
  };
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    char c = bytes[i];
    any = true;
    if (quoted) {
      if (c == '"') {
        if (i + 1 < bytes.size() && bytes[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cell += c;
      }
    } else if (c == '"' && cell.empty()) {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(cell));
      cell.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') ++i;
      LINLI_TRY(end_row());
    } else {
      cell += c;
    }
  }
  if (quoted) return Error::Invalid("file", "the CSV ends inside a quoted cell");
  if (any || !cell.empty() || !row.empty()) LINLI_TRY(end_row());
  return sheet;
}

namespace {

// Column letters of a cell reference ("AB12") as a 0-based index.
int ColumnOf(const char* ref) {
  int col = 0;
  for (; *ref >= 'A' && *ref <= 'Z'; ++ref) col = col * 26 + (*ref - 'A' + 1);
  return col - 1;
}

Result<std::string> ReadEntry(unzFile zip, const char* name, std::size_t max_bytes) {
  if (unzLocateFile(zip, name, 0) != UNZ_OK) return std::string();
  unz_file_info info{};
  if (unzGetCurrentFileInfo(zip, &info, nullptr, 0, nullptr, 0, nullptr, 0) != UNZ_OK) {
    return Error::Invalid("file", "the XLSX file is damaged");
  }
  if (info.uncompressed_size > max_bytes) return Error::Invalid("file", "the XLSX file is too large when unpacked");
  if (unzOpenCurrentFile(zip) != UNZ_OK) return Error::Invalid("file", "the XLSX file is damaged");
  std::string out(info.uncompressed_size, '\0');
  int n = unzReadCurrentFile(zip, out.data(), static_cast<unsigned>(out.size()));
  unzCloseCurrentFile(zip);
  if (n < 0 || static_cast<std::size_t>(n) != out.size()) return Error::Invalid("file", "the XLSX file is damaged");
  return out;
}

struct SharedStringsParser {
  std::vector<std::string> strings;
  std::string current;
  bool in_si = false, in_t = false;
  static void Start(void* self, const char* name, const char**) {
    auto* p = static_cast<SharedStringsParser*>(self);
    std::string_view n(name);
    if (n == "si") { p->in_si = true; p->current.clear(); }
    else if (n == "t" && p->in_si) p->in_t = true;
  }
  static void End(void* self, const char* name) {
    auto* p = static_cast<SharedStringsParser*>(self);
    std::string_view n(name);
    if (n == "si") { p->in_si = false; p->strings.push_back(std::move(p->current)); }
    else if (n == "t") p->in_t = false;
  }
  static void Text(void* self, const char* s, int len) {
    auto* p = static_cast<SharedStringsParser*>(self);
    if (p->in_t) p->current.append(s, len);
  }
};

struct SheetParser {
  const std::vector<std::string>* shared = nullptr;
  std::vector<Row> rows;
  std::size_t max_rows = 0;
  bool too_many = false;
  int col = 0;
  std::string type, value;
  bool in_v = false, in_t = false, in_row = false;
  Row row;
  static void Start(void* self, const char* name, const char** attrs) {
    auto* p = static_cast<SheetParser*>(self);
    std::string_view n(name);
    if (n == "row") {
      p->in_row = true;
      p->row.clear();
    } else if (n == "c") {
      p->type.clear();
      p->value.clear();
      p->col = static_cast<int>(p->row.size());
      for (int i = 0; attrs[i]; i += 2) {
        if (std::string_view(attrs[i]) == "r") p->col = ColumnOf(attrs[i + 1]);
        if (std::string_view(attrs[i]) == "t") p->type = attrs[i + 1];
      }
    } else if (n == "v") {
      p->in_v = true;
    } else if (n == "t") {
      p->in_t = true;
    }
  }
  static void End(void* self, const char* name) {
    auto* p = static_cast<SheetParser*>(self);
    std::string_view n(name);
    if (n == "v") p->in_v = false;
    else if (n == "t") p->in_t = false;
    else if (n == "c") {
      std::string text = p->value;
      if (p->type == "s") {
        std::size_t idx = std::strtoul(p->value.c_str(), nullptr, 10);
        text = idx < p->shared->size() ? (*p->shared)[idx] : std::string();
      } else if (p->type == "b") {
        text = p->value == "1" ? "TRUE" : "FALSE";
      }
      if (p->col >= 0 && p->col < 1000) {
        if (static_cast<int>(p->row.size()) <= p->col) p->row.resize(p->col + 1);
        p->row[p->col] = std::move(text);
      }
    } else if (n == "row") {
      p->in_row = false;
      bool blank = true;
      for (const auto& c : p->row) blank = blank && c.empty();
      if (!blank) {
        if (p->rows.size() >= p->max_rows) p->too_many = true;
        else p->rows.push_back(std::move(p->row));
      }
    }
  }
  static void Text(void* self, const char* s, int len) {
    auto* p = static_cast<SheetParser*>(self);
    if (p->in_v || p->in_t) p->value.append(s, len);
  }
};

template <class Parser>
Status ParseXml(const std::string& xml, Parser& parser) {
  XML_Parser x = XML_ParserCreate("UTF-8");
  XML_SetUserData(x, &parser);
  XML_SetElementHandler(x, &Parser::Start, &Parser::End);
  XML_SetCharacterDataHandler(x, &Parser::Text);
  bool ok = XML_Parse(x, xml.data(), static_cast<int>(xml.size()), 1) == XML_STATUS_OK;
  XML_ParserFree(x);
  if (!ok) return Error::Invalid("file", "the XLSX file's worksheet is not well-formed XML");
  return Ok();
}

// A temporary file that removes itself; minizip and libxlsxwriter work on paths.
struct TempFile {
  std::string path;
  TempFile() {
    char tmpl[] = "/tmp/linli-sheet-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd >= 0) ::close(fd);
    path = tmpl;
  }
  ~TempFile() { ::unlink(path.c_str()); }
};

}  // namespace

Result<Sheet> ReadXlsx(std::string_view bytes, std::size_t max_rows) {
  TempFile tmp;
  {
    std::ofstream out(tmp.path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return Error::Internal("cannot write a temporary file");
  }
  unzFile zip = unzOpen(tmp.path.c_str());
  if (!zip) return Error::Invalid("file", "the file is not a valid XLSX (ZIP) file");
  constexpr std::size_t kMaxXml = 1u << 30;
  auto shared_xml = ReadEntry(zip, "xl/sharedStrings.xml", kMaxXml);
  auto sheet_xml = shared_xml ? ReadEntry(zip, "xl/worksheets/sheet1.xml", kMaxXml) : Result<std::string>(shared_xml.error());
  unzClose(zip);
  if (!sheet_xml) return sheet_xml.error();
  if (sheet_xml->empty()) return Error::Invalid("file", "the XLSX file has no first worksheet");
  SharedStringsParser ss;
  if (!shared_xml->empty()) LINLI_TRY(ParseXml(*shared_xml, ss));
  SheetParser sp;
  sp.shared = &ss.strings;
  sp.max_rows = max_rows;
  LINLI_TRY(ParseXml(*sheet_xml, sp));
  if (sp.too_many) return Error::Invalid("file", "the file has more than " + std::to_string(max_rows) + " rows");
  Sheet sheet;
  sheet.rows = std::move(sp.rows);
  sheet.encoding = "xlsx";
  return sheet;
}

Result<Sheet> Read(std::string_view bytes, Format format, std::size_t max_rows) {
  return format == Format::kXlsx ? ReadXlsx(bytes, max_rows) : ReadCsv(bytes, max_rows);
}

std::string ExcelSerialToIso(std::string_view serial) {
  if (serial.empty() || serial.size() > 12) return "";
  char* end = nullptr;
  std::string s(serial);
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || v < 1 || v > 2958465) return "";
  // Days since 1970-01-01 = serial - 25569; then the civil-from-days algorithm.
  long long z = static_cast<long long>(v) - 25569 + 719468;
  long long era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long y = static_cast<long long>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", y + (m <= 2), m, d);
  return buf;
}

std::string WriteCsv(const std::vector<Row>& rows) {
  // Sized before it is written: a roster of a million residents is ~100 MB, which grown by
  // doubling moves some twenty times, the last moves copying tens of megabytes into fresh pages.
  std::size_t size = 3;
  for (const auto& row : rows) {
    size += row.size() + 1;  // the commas and CRLF
    for (const auto& cell : row) size += cell.size();
  }
  std::string out;
  out.reserve(size + size / 64);  // and a little for quotes and formula guards
  out = "\xEF\xBB\xBF";
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i) out += ',';
      const std::string& cell = row[i];
      // A leading = + - @ would be read by a spreadsheet as a formula: guarded with a quote mark.
      bool formula = !cell.empty() && (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@');
      if (cell.find_first_of(",\"\r\n") != std::string::npos) {
        out += '"';
        if (formula) out += '\'';
        for (char c : cell) {
          if (c == '"') out += '"';
          out += c;
        }
        out += '"';
      } else {
        if (formula) out += '\'';
        out += cell;
      }
    }
    out += "\r\n";
  }
  return out;
}

Result<std::string> WriteXlsx(const std::vector<Row>& rows, const std::string& sheet_name) {
  TempFile tmp;
  lxw_workbook* wb = workbook_new(tmp.path.c_str());
  if (!wb) return Error::Internal("cannot create a workbook");
  lxw_worksheet* ws = workbook_add_worksheet(wb, sheet_name.c_str());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      worksheet_write_string(ws, static_cast<lxw_row_t>(r), static_cast<lxw_col_t>(c), rows[r][c].c_str(), nullptr);
    }
  }
  if (workbook_close(wb) != LXW_NO_ERROR) return Error::Internal("cannot write the workbook");
  std::ifstream in(tmp.path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace linli::tabular
