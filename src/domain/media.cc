#include "domain/media.h"

#include <cstdint>

namespace linli::domain {

namespace {

std::uint32_t Be32(std::string_view b, std::size_t at) {
  return (std::uint32_t(std::uint8_t(b[at])) << 24) | (std::uint32_t(std::uint8_t(b[at + 1])) << 16) |
         (std::uint32_t(std::uint8_t(b[at + 2])) << 8) | std::uint32_t(std::uint8_t(b[at + 3]));
}
std::uint32_t Le32(std::string_view b, std::size_t at) {
  return std::uint32_t(std::uint8_t(b[at])) | (std::uint32_t(std::uint8_t(b[at + 1])) << 8) |
         (std::uint32_t(std::uint8_t(b[at + 2])) << 16) | (std::uint32_t(std::uint8_t(b[at + 3])) << 24);
}
void PutLe32(std::string& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

Error Malformed(std::string_view what) { return Error::Invalid("file", "the " + std::string(what) + " is damaged"); }

Result<std::string> StripJpeg(std::string_view b) {
  std::string out(b.substr(0, 2));  // SOI
  std::size_t i = 2;
  while (i + 4 <= b.size()) {
    if (std::uint8_t(b[i]) != 0xFF) return Malformed("JPEG");
    std::uint8_t marker = std::uint8_t(b[i + 1]);
    if (marker == 0xDA) {  // start of scan: the image data follows to the end
      out.append(b.substr(i));
      return out;
    }
    std::size_t length = (std::size_t(std::uint8_t(b[i + 2])) << 8) | std::uint8_t(b[i + 3]);
    if (length < 2 || i + 2 + length > b.size()) return Malformed("JPEG");
    bool drop = marker >= 0xE1 && marker <= 0xEF && marker != 0xEE;  // APP1..APP15 but APP14 (Adobe)
    if (marker == 0xFE) drop = true;                                   // comments
    if (!drop) out.append(b.substr(i, 2 + length));
    i += 2 + length;
  }
  return Malformed("JPEG");
}

Result<std::string> StripPng(std::string_view b) {
  std::string out(b.substr(0, 8));
  std::size_t i = 8;
  while (i + 12 <= b.size()) {
    std::size_t length = Be32(b, i);
    if (i + 12 + length > b.size()) return Malformed("PNG");
    std::string_view type = b.substr(i + 4, 4);
    bool drop = type == "eXIf" || type == "tEXt" || type == "iTXt" || type == "zTXt";
    if (!drop) out.append(b.substr(i, 12 + length));
    i += 12 + length;
    if (type == "IEND") return out;
  }
  return Malformed("PNG");
}

Result<std::string> StripWebp(std::string_view b) {
  std::string out(b.substr(0, 12));
  std::size_t i = 12;
  std::size_t vp8x = std::string::npos;
  while (i + 8 <= b.size()) {
    std::string_view type = b.substr(i, 4);
    std::size_t length = Le32(b, i + 4);
    std::size_t padded = length + (length & 1);
    if (i + 8 + length > b.size()) return Malformed("WebP");
    if (type == "VP8X") vp8x = out.size();
    if (type != "EXIF" && type != "XMP ") out.append(b.substr(i, std::min(8 + padded, b.size() - i)));
    i += 8 + padded;
  }
  if (vp8x != std::string::npos && vp8x + 8 < out.size()) {
    out[vp8x + 8] = static_cast<char>(std::uint8_t(out[vp8x + 8]) & ~0x0C);  // no EXIF (0x08) or XMP (0x04) any more
  }
  PutLe32(out, 4, static_cast<std::uint32_t>(out.size() - 8));
  return out;
}

}  // namespace

std::optional<MediaType> SniffMedia(std::string_view b) {
  if (b.size() >= 3 && b.substr(0, 3) == "\xFF\xD8\xFF") return MediaType{"image/jpeg", "jpg", true};
  if (b.size() >= 8 && b.substr(0, 8) == std::string_view("\x89PNG\r\n\x1A\n", 8)) return MediaType{"image/png", "png", true};
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return MediaType{"image/webp", "webp", true};
  if (b.size() >= 5 && b.substr(0, 5) == "%PDF-") return MediaType{"application/pdf", "pdf", false};
  return std::nullopt;
}

Result<std::string> StripMetadata(std::string_view bytes, const MediaType& type) {
  if (type.mime == "image/jpeg") return StripJpeg(bytes);
  if (type.mime == "image/png") return StripPng(bytes);
  if (type.mime == "image/webp") return StripWebp(bytes);
  return std::string(bytes);
}

}  // namespace linli::domain
