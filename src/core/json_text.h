// Small JSON text builder for places that only need to write a flat object (audit details,
// log fields) without pulling a JSON library into every translation unit.
//
//   std::string d = JsonObject().Add("name", n).Add("count", 3).Str();
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace linli {

std::string JsonQuote(std::string_view s);  // "..." with every needed escape

class JsonObject {
 public:
  JsonObject& Add(std::string_view key, std::string_view value);
  JsonObject& Add(std::string_view key, const char* value) { return Add(key, std::string_view(value)); }
  JsonObject& Add(std::string_view key, std::int64_t value);
  JsonObject& Add(std::string_view key, int value) { return Add(key, std::int64_t{value}); }
  JsonObject& Add(std::string_view key, bool value);
  JsonObject& AddRaw(std::string_view key, std::string_view json);
  std::string Str() const { return body_ + "}"; }

 private:
  void Key(std::string_view key);
  std::string body_ = "{";
};

}  // namespace linli
