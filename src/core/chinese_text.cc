#include "core/chinese_text.h"

#include <opencc/opencc.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <mutex>

namespace linli {

namespace {

// One converter per thread: OpenCC's C handle is not documented as safe to share.
class TraditionalToSimplified {
 public:
  TraditionalToSimplified() : handle_(opencc_open(OPENCC_DEFAULT_CONFIG_TRAD_TO_SIMP)) {
    if (handle_ == reinterpret_cast<opencc_t>(-1)) {
      static std::once_flag warned;
      std::call_once(warned, [] {
        spdlog::warn("OpenCC's t2s dictionary is missing (package libopencc-data): search treats traditional and "
                     "simplified characters as different");
      });
    }
  }
  ~TraditionalToSimplified() {
    if (handle_ != reinterpret_cast<opencc_t>(-1)) opencc_close(handle_);
  }
  std::string Convert(std::string_view text) const {
    if (handle_ == reinterpret_cast<opencc_t>(-1)) return std::string(text);
    char* out = opencc_convert_utf8(handle_, text.data(), text.size());
    if (!out) return std::string(text);
    std::string s(out);
    opencc_convert_utf8_free(out);
    return s;
  }

 private:
  opencc_t handle_;
};

}  // namespace

std::string SearchForm(std::string_view text) {
  thread_local TraditionalToSimplified t2s;
  std::string simplified = t2s.Convert(text);
  std::string out;
  out.reserve(simplified.size());
  bool space = false;
  for (std::size_t i = 0; i < simplified.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(simplified[i]);
    // Full-width ASCII U+FF01..U+FF5E is EF BC 81..EF BD 9E; U+3000 (ideographic space) is E3 80 80.
    if (c == 0xEF && i + 2 < simplified.size()) {
      unsigned char c1 = static_cast<unsigned char>(simplified[i + 1]), c2 = static_cast<unsigned char>(simplified[i + 2]);
      std::uint32_t cp = ((c & 0x0F) << 12) | ((c1 & 0x3F) << 6) | (c2 & 0x3F);
      if (cp >= 0xFF01 && cp <= 0xFF5E) {
        c = static_cast<unsigned char>(cp - 0xFF01 + 0x21);
        i += 2;
      }
    } else if (c == 0xE3 && i + 2 < simplified.size() && static_cast<unsigned char>(simplified[i + 1]) == 0x80 &&
               static_cast<unsigned char>(simplified[i + 2]) == 0x80) {
      c = ' ';
      i += 2;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!out.empty()) space = true;
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
    }
    out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  return out;
}

}  // namespace linli
