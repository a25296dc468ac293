// A QR code as an SVG image (libqrencode), for printing: crisp at any size, no image library.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace linli {

// The QR code of `text` (error correction M, survives a scratched or rain-stained sticker), with a
// quiet zone of four modules, as a standalone SVG `size_mm` millimetres wide.
Result<std::string> QrSvg(std::string_view text, int size_mm = 40);

}  // namespace linli
