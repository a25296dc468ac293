#include "service/records.h"

namespace linli::service {

std::string RecordRef(std::string_view what, std::int64_t id) { return std::string(what) + ":" + std::to_string(id); }

Status CheckRecordAccess(const Caller& who, std::string_view node_path, std::string_view what, std::int64_t id,
                         std::string_view permission, std::string_view visible_with) {
  if (!domain::Allows(who.principal, visible_with, node_path)) {
    return Error::NotFound("no " + std::string(what) + " " + std::to_string(id));
  }
  if (!domain::Allows(who.principal, permission, node_path)) return Error::Denied();
  return Ok();
}

Status CheckPageLimit(int limit) {
  if (limit < 1 || limit > 500) return Error::Invalid("limit", "limit must be between 1 and 500");
  return Ok();
}

}  // namespace linli::service
