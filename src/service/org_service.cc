#include "service/org_service.h"

#include "service/records.h"
#include "core/json_text.h"
#include "storage/org_repo.h"

namespace linli::service {

using storage::OrgRepo;
using storage::SqlSession;

Result<domain::OrgNode> VisibleNode(SqlSession& s, const Caller& who, std::int64_t id,
                                    std::string_view permission) {
  LINLI_ASSIGN_OR_RETURN(auto node, OrgRepo::Get(s, id));
  return CheckVisible(std::move(node), who, id, permission);
}

Result<domain::OrgNode> CheckVisible(std::optional<domain::OrgNode> node, const Caller& who,
                                     std::int64_t id, std::string_view permission) {
  if (!node || !domain::Allows(who.principal, domain::perm::kOrgRead, node->path)) {
    return Error::NotFound("no org node " + std::to_string(id));
  }
  if (!domain::Allows(who.principal, permission, node->path)) {
    return Error::Denied("you may not do this at " + node->name);
  }
  return std::move(*node);
}

Status CheckCodeFree(SqlSession& s, std::string_view code, const domain::OrgNode& node, std::string_view field) {
  if (code == node.code) return Ok();
  LINLI_ASSIGN_OR_RETURN(auto holder, OrgRepo::GetByCode(s, code));
  if (holder && holder->id != node.id) {
    return Error::Exists(std::string(field), "code " + std::string(code) + " belongs to " + holder->name +
                                                 " already; give the node another number");
  }
  return Ok();
}

Result<std::string> FreeCodeUnder(SqlSession& s, const domain::OrgNode& parent, std::string_view code) {
  std::string own = domain::CodeUnder(parent, code);
  LINLI_ASSIGN_OR_RETURN(auto holder, OrgRepo::GetByCode(s, own));
  if (!holder) return own;
  for (int n = 1; n <= 999; ++n) {
    char number[4];
    std::snprintf(number, sizeof number, "%03d", n);
    LINLI_ASSIGN_OR_RETURN(holder, OrgRepo::GetByCode(s, parent.code + number));
    if (!holder) return parent.code + number;
  }
  return Error::Precondition(parent.name + " has no free number left for another child");
}

void OrgService::Create(const Caller& who, CreateNodeInput in, Done<domain::OrgNode> done) {
  auto type = domain::ParseNodeType(in.type);
  if (!type) {
    return done(Error::Invalid("type", "type must be one of subdistrict, community, compound, grid, "
                                       "micro_grid, dedicated_grid"));
  }
  if (auto st = domain::ValidateNodeName(in.name); !st) return done(st.error());
  if (auto st = domain::ValidateNodeCode(in.code); !st) return done(st.error());
  if (in.parent_id == 0 && !who.is_system()) {
    return done(Error::Invalid("parent_id", "parent_id is required"));
  }
  // Checked on the read side first, for precise answers and so the write waits for nothing; the
  // insert itself refuses a parent that changed meanwhile (OrgRepo::Insert).
  auto parent = storage::ReadValue<std::optional<domain::OrgNode>>(
      db_, [&](SqlSession& s) -> Result<std::optional<domain::OrgNode>> {
        LINLI_ASSIGN_OR_RETURN(auto found, OrgRepo::GetWithCodeTaken(s, in.parent_id, in.code));
        auto& [p, code_taken] = found;
        if (in.parent_id == 0) {
          if (code_taken) return Error::Exists("code", "an org node with code " + in.code + " exists already");
          return std::optional<domain::OrgNode>();
        }
        LINLI_ASSIGN_OR_RETURN(auto visible, AsReference(CheckVisible(std::move(p), who, in.parent_id,
                                                                      domain::perm::kOrgWrite), "parent_id"));
        if (visible.archived) return Error::Invalid("parent_id", "the parent node is archived");
        if (code_taken) return Error::Exists("code", "an org node with code " + in.code + " exists already");
        return std::optional<domain::OrgNode>(std::move(visible));
      });
  if (!parent) return done(parent.error());
  if (!domain::MayParent(*parent ? std::optional((*parent)->type) : std::nullopt, *type)) {
    return done(Error::Invalid("type", "a " + in.type + " cannot be placed under " +
                                           (*parent ? "a " + std::string(domain::NodeTypeName((*parent)->type))
                                                    : std::string("nothing"))));
  }
  if (auto st = domain::CheckNodeCode(in.code, *parent, *type); !st) return done(st.error());
  std::string parent_path = *parent ? (*parent)->path : "/";
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<domain::OrgNode>(db_, [=, this](SqlSession& s) -> Result<domain::OrgNode> {
    domain::OrgNode node;
    node.parent_id = in.parent_id;
    node.type = *type;
    node.code = in.code;
    node.name = in.name;
    node.created_at = now;
    LINLI_ASSIGN_OR_RETURN(node, OrgRepo::Insert(s, std::move(node), parent_path));
    LINLI_TRY(audit_.Record(s, who, {.action = "org.create", .node_path = node.path,
                                     .target = "org_node:" + std::to_string(node.id),
                                     .detail = JsonObject().Add("type", in.type).Add("code", in.code)
                                                   .Add("name", in.name).Str()}));
    return node;
  }, BumpingEpoch<domain::OrgNode>(epoch_, [done = std::move(done)](Result<domain::OrgNode> r) {
    if (!r && r.error().code == ErrorCode::kFailedPrecondition) {
      return done(Error{ErrorCode::kAborted, "the parent node was changed or archived meanwhile; retry",
                        "parent_id"});
    }
    done(std::move(r));
  }));
}

void OrgService::Rename(const Caller& who, std::int64_t id, std::string name,
                        std::optional<std::int64_t> version, Done<domain::OrgNode> done) {
  if (auto st = domain::ValidateNodeName(name); !st) return done(st.error());
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<domain::OrgNode>(db_, [=, this](SqlSession& s) -> Result<domain::OrgNode> {
    LINLI_ASSIGN_OR_RETURN(auto node, VisibleNode(s, who, id, domain::perm::kOrgWrite));
    if (version && *version != node.version) {
      return Error{ErrorCode::kAborted, "the node was changed by someone else; reload it", "version"};
    }
    LINLI_TRY(OrgRepo::Rename(s, id, node.version, name, now));
    LINLI_TRY(audit_.Record(s, who, {.action = "org.rename", .node_path = node.path,
                                     .target = "org_node:" + std::to_string(id),
                                     .detail = JsonObject().Add("from", node.name).Add("to", name).Str()}));
    node.name = name;
    node.version += 1;
    node.updated_at = now;
    return node;
  }, BumpingEpoch(epoch_, std::move(done)));
}

void OrgService::Move(const Caller& who, std::int64_t id, std::int64_t new_parent_id, std::optional<std::string> code,
                      Done<domain::OrgNode> done) {
  if (code) {
    if (auto st = domain::ValidateNodeCode(*code); !st) return done(st.error());
  }
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<domain::OrgNode>(db_, [=, this](SqlSession& s) -> Result<domain::OrgNode> {
    LINLI_ASSIGN_OR_RETURN(auto node, VisibleNode(s, who, id, domain::perm::kOrgWrite));
    std::optional<domain::OrgNode> parent;
    if (new_parent_id != 0) {
      LINLI_ASSIGN_OR_RETURN(parent, AsReference(VisibleNode(s, who, new_parent_id, domain::perm::kOrgWrite), "parent_id"));
    } else if (!who.is_system()) {
      return Error::Invalid("parent_id", "parent_id is required");
    }
    LINLI_TRY(domain::CheckMove(node, parent));
    // The node (and its subtree) is renumbered under its new parent; it keeps its own number
    // unless a new code is given.
    std::string new_code = code ? *code : parent ? domain::CodeUnder(*parent, node.code) : node.code;
    LINLI_TRY(domain::CheckNodeCode(new_code, parent, node.type));
    LINLI_TRY(CheckCodeFree(s, new_code, node));
    std::string old_path = node.path;
    std::string new_path = domain::ChildPath(parent ? parent->path : "/", node.id);
    LINLI_TRY(OrgRepo::Move(s, node, new_parent_id, new_path, new_code, now));
    auto detail = JsonObject().Add("from_path", old_path).Add("to_path", new_path).Add("from_code", node.code)
                      .Add("to_code", new_code).Str();
    LINLI_TRY(storage::BoundaryRepo::AddChange(s, id, new_path, "move", detail, who.user_id(), now));
    LINLI_TRY(audit_.Record(s, who, {.action = "org.move", .node_path = new_path,
                                     .target = "org_node:" + std::to_string(id), .detail = detail}));
    node.parent_id = new_parent_id;
    node.path = new_path;
    node.code = new_code;
    node.version += 1;
    node.updated_at = now;
    return node;
  }, BumpingEpoch(epoch_, std::move(done)));
}

void OrgService::SetArchived(const Caller& who, std::int64_t id, bool archived,
                             Done<domain::OrgNode> done) {
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<domain::OrgNode>(db_, [=, this](SqlSession& s) -> Result<domain::OrgNode> {
    LINLI_ASSIGN_OR_RETURN(auto node, VisibleNode(s, who, id, domain::perm::kOrgWrite));
    if (node.archived == archived) return node;  // already so; repeating is harmless
    if (archived) {
      LINLI_ASSIGN_OR_RETURN(auto children, OrgRepo::CountActiveChildren(s, id));
      if (children > 0) {
        return Error::Precondition("archive or move the " + std::to_string(children) +
                                   " active child nodes first");
      }
    } else if (node.parent_id != 0) {
      LINLI_ASSIGN_OR_RETURN(auto parent, OrgRepo::Get(s, node.parent_id));
      if (parent && parent->archived) return Error::Precondition("restore the parent node first");
    }
    LINLI_TRY(OrgRepo::SetArchived(s, id, node.version, archived, now));
    LINLI_TRY(audit_.Record(s, who, {.action = archived ? "org.archive" : "org.restore",
                                     .node_path = node.path,
                                     .target = "org_node:" + std::to_string(id)}));
    node.archived = archived;
    node.version += 1;
    node.updated_at = now;
    return node;
  }, BumpingEpoch(epoch_, std::move(done)));
}

Result<domain::OrgNode> OrgService::Get(const Caller& who, std::int64_t id) {
  return storage::ReadValue<domain::OrgNode>(db_, [&](SqlSession& s) {
    return VisibleNode(s, who, id, domain::perm::kOrgRead);
  });
}

Result<domain::OrgNode> OrgService::GetByCode(const Caller& who, std::string_view code) {
  return storage::ReadValue<domain::OrgNode>(db_, [&](SqlSession& s) -> Result<domain::OrgNode> {
    LINLI_ASSIGN_OR_RETURN(auto node, OrgRepo::GetByCode(s, code));
    if (!node) return Error::NotFound("no org node with code " + std::string(code));
    return VisibleNode(s, who, node->id, domain::perm::kOrgRead);
  });
}

Result<std::vector<domain::OrgNode>> OrgService::List(const Caller& who, const NodeListInput& in) {
  LINLI_TRY(CheckPageLimit(in.limit));
  storage::OrgListQuery q;
  q.scope_prefixes = domain::ScopeFor(who.principal, domain::perm::kOrgRead).prefixes();
  q.parent_id = in.parent_id;
  if (in.type) {
    q.type = domain::ParseNodeType(*in.type);
    if (!q.type) return Error::Invalid("type", "unknown node type " + *in.type);
  }
  q.include_archived = in.include_archived;
  q.after_id = in.after_id;
  q.limit = in.limit;
  return storage::ReadValue<std::vector<domain::OrgNode>>(db_, [&](SqlSession& s) {
    return storage::OrgRepo::List(s, q);
  });
}

}  // namespace linli::service
