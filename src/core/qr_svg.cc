#include "core/qr_svg.h"

#include <qrencode.h>

namespace linli {

Result<std::string> QrSvg(std::string_view text, int size_mm) {
  std::string input(text);
  QRcode* qr = QRcode_encodeString(input.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (!qr) return Error::Invalid("text", "too long for a QR code");
  constexpr int kQuiet = 4;
  int n = qr->width + 2 * kQuiet;
  std::string path;
  for (int y = 0; y < qr->width; ++y) {
    for (int x = 0; x < qr->width; ++x) {
      if (qr->data[y * qr->width + x] & 1) {
        path += "M" + std::to_string(x + kQuiet) + " " + std::to_string(y + kQuiet) + "h1v1h-1z";
      }
    }
  }
  QRcode_free(qr);
  std::string size = std::to_string(size_mm) + "mm";
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + size + "\" height=\"" + size + "\" viewBox=\"0 0 " +
         std::to_string(n) + " " + std::to_string(n) + "\" shape-rendering=\"crispEdges\">" +
         "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"" + path + "\"/></svg>";
}

}  // namespace linli
