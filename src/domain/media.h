// Uploaded media: what a file is, judged by its bytes (never by its name or the client's word),
// and the same photo without the location a phone camera writes into it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace linli::domain {

struct MediaType {
  std::string_view mime;       // image/jpeg, image/png, image/webp, application/pdf
  std::string_view extension;  // jpg, png, webp, pdf
  bool image = false;
};

// The type of the bytes, or nullopt when they are none Linli accepts.
std::optional<MediaType> SniffMedia(std::string_view bytes);

// The bytes without metadata that can carry a location: JPEG APP1..APP13 and APP15 segments
// (EXIF, XMP; APP0 JFIF and APP14 Adobe stay), PNG eXIf/tEXt/iTXt/zTXt chunks, WebP EXIF and XMP
// chunks (with the container's size and flags fixed). Other types come back unchanged.
// A malformed image is an error naming "file".
Result<std::string> StripMetadata(std::string_view bytes, const MediaType& type);

}  // namespace linli::domain
