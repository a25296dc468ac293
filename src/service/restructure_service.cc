#include "service/restructure_service.h"

#include "core/json_text.h"
#include "service/org_service.h"
#include "service/records.h"
#include "storage/org_repo.h"
#include "storage/registry_repo.h"

namespace linli::service {

using storage::SqlSession;
namespace perm = domain::perm;

namespace {
// The deepest common ancestor of two paths, e.g. "/1/7/" for "/1/7/42/" and "/1/7/43/".
std::string CommonAncestor(const std::string& a, const std::string& b) {
  std::size_t last = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size() && a[i] == b[i]; ++i) {
    if (a[i] == '/') last = i;
  }
  return a.substr(0, last + 1);
}
}  // namespace

void RestructureService::Split(const Caller& who, std::int64_t grid_id, std::vector<MicroGridInput> parts,
                               Done<SplitResult> done) {
  if (parts.empty() || parts.size() > 50) return done(Error::Invalid("micro_grids", "give 1 to 50 micro-grids"));
  std::vector<domain::Shape> shapes;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string field = "micro_grids[" + std::to_string(i) + "]";
    if (auto st = domain::ValidateNodeName(parts[i].name); !st) return done(Error::Invalid(field + ".name", st.error().message));
    if (auto st = domain::ValidateNodeCode(parts[i].code, field + ".code"); !st) return done(st.error());
    auto shape = domain::ParseBoundary(parts[i].boundary, field + ".boundary");
    if (!shape) return done(shape.error());
    for (std::size_t j = 0; j < shapes.size(); ++j) {
      if (domain::OverlapShare(*shape, shapes[j]) > 0.01) {
        return done(Error::Invalid(field + ".boundary", field + " overlaps micro_grids[" + std::to_string(j) + "]"));
      }
    }
    shapes.push_back(std::move(*shape));
  }
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<SplitResult>(db_, [=, this](SqlSession& s) -> Result<SplitResult> {
    LINLI_ASSIGN_OR_RETURN(auto grid, VisibleNode(s, who, grid_id, perm::kOrgWrite));
    if (grid.type != domain::NodeType::kGrid || grid.archived) {
      return Error::Precondition("only an active grid can be split into micro-grids");
    }
    LINLI_ASSIGN_OR_RETURN(auto around, LoadNeighbours(s, grid_id, 0, domain::NodeType::kMicroGrid));
    SplitResult result;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      auto v = domain::CheckPlacement(shapes[i], around.parent, around.siblings);
      if (!v.empty()) {
        return Error::Invalid("micro_grids[" + std::to_string(i) + "].boundary",
                              "the boundary " + domain::DescribeViolations(v));
      }
      LINLI_TRY(domain::CheckNodeCode(parts[i].code, grid, domain::NodeType::kMicroGrid, "micro_grids[" + std::to_string(i) + "].code"));
      LINLI_ASSIGN_OR_RETURN(auto taken, storage::OrgRepo::GetByCode(s, parts[i].code));
      if (taken) return Error::Exists("micro_grids[" + std::to_string(i) + "].code", "code " + parts[i].code + " exists already");
      domain::OrgNode node;
      node.parent_id = grid_id;
      node.type = domain::NodeType::kMicroGrid;
      node.code = parts[i].code;
      node.name = parts[i].name;
      node.created_at = now;
      LINLI_ASSIGN_OR_RETURN(node, storage::OrgRepo::Insert(s, std::move(node), grid.path));
      auto c = shapes[i].Centroid();
      LINLI_TRY(storage::BoundaryRepo::Set(s, node.id, shapes[i].ToGeoJson(), c.lon, c.lat, now));
      result.micro_grids.push_back(std::move(node));
    }
    // Buildings held at the grid itself go to the micro-grid their location falls in.
    LINLI_ASSIGN_OR_RETURN(auto buildings, storage::BuildingRepo::AtNode(s, grid_id));
    for (const auto& b : buildings) {
      const domain::OrgNode* target = nullptr;
      if (b.lon && b.lat) {
        for (std::size_t i = 0; i < shapes.size() && !target; ++i) {
          if (shapes[i].Covers({*b.lon, *b.lat})) target = &result.micro_grids[i];
        }
      }
      if (!target) {
        ++result.buildings_unplaced;
        continue;
      }
      LINLI_TRY(storage::BuildingRepo::Relocate(s, b.id, target->id, target->path));
      ++result.buildings_moved;
    }
    LINLI_TRY(storage::RollupRepo::Rebuild(s, grid.path));
    auto detail = JsonObject().Add("micro_grids", static_cast<std::int64_t>(result.micro_grids.size()))
                      .Add("buildings_moved", result.buildings_moved)
                      .Add("buildings_unplaced", result.buildings_unplaced).Str();
    LINLI_TRY(storage::BoundaryRepo::AddChange(s, grid_id, grid.path, "split", detail, who.user_id(), now));
    for (const auto& m : result.micro_grids) {
      LINLI_TRY(storage::BoundaryRepo::AddChange(s, m.id, m.path, "created_by_split",
                                                 JsonObject().Add("from", grid_id).Str(), who.user_id(), now));
    }
    LINLI_TRY(audit_.Record(s, who, {.action = "org.split", .node_path = grid.path,
                                     .target = "org_node:" + std::to_string(grid_id), .detail = detail}));
    return result;
  }, [this, done = std::move(done)](Result<SplitResult> r) {
    if (r) {
      epoch_.Bump();  // new micro-grids under the grid (org_node_cache.h)
      (void)geo_.Reload();
    }
    done(std::move(r));
  }, storage::Batching::kAlone);  // moves a grid's residents and cases, and recounts them
}

void RestructureService::Merge(const Caller& who, std::int64_t into_id, std::int64_t from_id, Done<domain::OrgNode> done) {
  if (into_id == from_id) return done(Error::Invalid("from_id", "a grid cannot be merged into itself"));
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<domain::OrgNode>(db_, [=, this](SqlSession& s) -> Result<domain::OrgNode> {
    LINLI_ASSIGN_OR_RETURN(auto into, VisibleNode(s, who, into_id, perm::kOrgWrite));
    LINLI_ASSIGN_OR_RETURN(auto from, AsReference(VisibleNode(s, who, from_id, perm::kOrgWrite), "from_id"));
    if (into.type != domain::NodeType::kGrid || from.type != domain::NodeType::kGrid || into.archived || from.archived) {
      return Error::Invalid("from_id", "both must be active grids");
    }
    // The grid that goes away hands over its micro-grids (whole subtrees) ...
    LINLI_ASSIGN_OR_RETURN(auto children, storage::OrgRepo::List(s, {.scope_prefixes = {from.path},
                                                                     .parent_id = from_id, .limit = 1000}));
    for (const auto& child : children) {
      LINLI_ASSIGN_OR_RETURN(auto code, FreeCodeUnder(s, into, child.code));
      LINLI_TRY(storage::OrgRepo::Move(s, child, into_id, domain::ChildPath(into.path, child.id), code, now));
    }
    // ... and everything held at it directly.
    LINLI_TRY(storage::BuildingRepo::RelocateAllAt(s, from_id, into_id, into.path));
    // Boundaries unite when both were drawn.
    LINLI_ASSIGN_OR_RETURN(auto a, storage::BoundaryRepo::Get(s, into_id));
    LINLI_ASSIGN_OR_RETURN(auto b, storage::BoundaryRepo::Get(s, from_id));
    if (a && b && !a->geojson.empty() && !b->geojson.empty()) {
      auto sa = domain::ParseBoundary(a->geojson), sb = domain::ParseBoundary(b->geojson);
      if (sa && sb) {
        LINLI_ASSIGN_OR_RETURN(auto united, domain::UnionOf({*sa, *sb}));
        auto c = united.Centroid();
        LINLI_TRY(storage::BoundaryRepo::Set(s, into_id, united.ToGeoJson(), c.lon, c.lat, now));
      }
    }
    LINLI_ASSIGN_OR_RETURN(auto fresh_from, storage::OrgRepo::Get(s, from_id));
    LINLI_TRY(storage::OrgRepo::SetArchived(s, from_id, fresh_from->version, true, now));
    LINLI_TRY(storage::RollupRepo::Rebuild(s, CommonAncestor(into.path, from.path)));
    auto detail = JsonObject().Add("into", into_id).Add("from", from_id)
                      .Add("micro_grids", static_cast<std::int64_t>(children.size())).Str();
    LINLI_TRY(storage::BoundaryRepo::AddChange(s, into_id, into.path, "merge", detail, who.user_id(), now));
    LINLI_TRY(storage::BoundaryRepo::AddChange(s, from_id, from.path, "merged_into", detail, who.user_id(), now));
    LINLI_TRY(audit_.Record(s, who, {.action = "org.merge", .node_path = into.path,
                                     .target = "org_node:" + std::to_string(into_id), .detail = detail}));
    LINLI_ASSIGN_OR_RETURN(auto result, storage::OrgRepo::Get(s, into_id));
    return std::move(*result);
  }, [this, bumped = BumpingEpoch(epoch_, std::move(done))](Result<domain::OrgNode> r) {
    if (r) (void)geo_.Reload();
    bumped(std::move(r));
  }, storage::Batching::kAlone);  // moves a grid's rows and recounts up to the common ancestor
}

Result<std::vector<OrgChange>> RestructureService::History(const Caller& who, std::int64_t node_id) {
  return storage::ReadValue<std::vector<OrgChange>>(db_, [&](SqlSession& s) -> Result<std::vector<OrgChange>> {
    LINLI_TRY(VisibleNode(s, who, node_id, perm::kOrgRead));
    return storage::BoundaryRepo::Changes(s, node_id);
  });
}

}  // namespace linli::service
