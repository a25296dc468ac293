// Rules every service applies to the records that hang from the org tree, written once.
//
//   - Visibility: a record outside the caller's scope answers not_found, exactly as if it did not
//     exist; a visible record the caller may not act on answers permission_denied.
//   - References: an id given in the input that the caller cannot see is a bad value of that
//     field (invalid_argument naming it), not a missing resource.
//   - Page sizes: 1 to 500.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "domain/access.h"
#include "service/caller.h"

namespace linli::service {

// "resident:42": audit targets and the associated data of encrypted fields.
std::string RecordRef(std::string_view what, std::int64_t id);

// Registry records are visible where the caller holds resident.read (the default), org-level
// records (staff positions) where it holds org.read.
Status CheckRecordAccess(const Caller& who, std::string_view node_path, std::string_view what, std::int64_t id,
                         std::string_view permission, std::string_view visible_with = domain::perm::kResidentRead);

template <class Row>
Result<Row> VisibleRecord(std::optional<Row> row, const Caller& who, std::string_view what, std::int64_t id,
                          std::string_view permission, std::string_view visible_with = domain::perm::kResidentRead) {
  if (!row) return Error::NotFound("no " + std::string(what) + " " + std::to_string(id));
  LINLI_TRY(CheckRecordAccess(who, row->node_path, what, id, permission, visible_with));
  return std::move(*row);
}

// Turns not_found into invalid_argument on `field`, for ids that came in the request body.
template <class T>
Result<T> AsReference(Result<T> r, std::string_view field) {
  if (!r && r.error().code == ErrorCode::kNotFound) return Error::Invalid(std::string(field), r.error().message);
  return r;
}
inline Status AsReference(Status st, std::string_view field) {
  if (!st && st.error().code == ErrorCode::kNotFound) return Error::Invalid(std::string(field), st.error().message);
  return st;
}

Status CheckPageLimit(int limit);

}  // namespace linli::service
