// JSON shapes of Linli's records, shared by every endpoint that returns them. Never includes
// secrets (password hashes, token hashes) or personal data in the clear.
#pragma once

#include <boost/json.hpp>

#include "domain/audit_chain.h"
#include "domain/org.h"
#include "service/account_service.h"
#include "service/registry_service.h"

namespace linli::http {

// A JSON document kept as text (audit details, history details), or the text itself if it is not JSON.
boost::json::value StoredJson(const std::string& text);
// One entry of a history (a resident's life events, a node's structural changes).
boost::json::object RenderHistoryEntry(std::int64_t id, const std::string& kind, Millis at, std::int64_t actor_id,
                                       const std::string& detail);
boost::json::object RenderNode(const domain::OrgNode& n);
boost::json::object RenderUser(const service::UserView& v);
boost::json::object RenderUserRecord(const storage::UserRecord& u);
boost::json::object RenderAssignment(const storage::AssignmentRecord& a);
boost::json::object RenderAuditEntry(const domain::AuditEntry& e);
boost::json::object RenderApiKey(const storage::ApiKeyRecord& k);
boost::json::object RenderRole(const domain::RoleDefinition& r);
boost::json::object RenderPolicy(const domain::SecurityPolicy& p);
// {"items": [...], "next_after": id or null}: keyset pagination. A full page has a cursor.
boost::json::array Strings(const std::vector<std::string>& v);
boost::json::value NullIfZero(std::int64_t v);  // null for 0 (no reference, never)
// A resident as the API shows it: masked unless the view was revealed.
boost::json::object RenderResident(const service::ResidentView& v);
boost::json::object RenderBuilding(const storage::BuildingRow& b);
boost::json::object Page(boost::json::array items, std::size_t limit, std::int64_t last_id);

}  // namespace linli::http
