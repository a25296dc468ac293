#include "domain/geo.h"

// Boost.Geometry's envelope code trips a false -Wmaybe-uninitialized in g++ 12.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <boost/iterator/function_output_iterator.hpp>
#include <boost/json.hpp>

#include <cmath>
#include <cstdio>

namespace linli::domain {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
namespace json = boost::json;

using Point = bg::model::d2::point_xy<double>;
using Polygon = bg::model::polygon<Point, /*clockwise=*/false>;  // RFC 7946: exterior rings counter-clockwise
using MultiPolygon = bg::model::multi_polygon<Polygon>;
using Box = bg::model::box<Point>;

struct Shape::Impl {
  MultiPolygon mp;
  Box box;
  double area = 0;
  // Every ring's vertices as flat (x, y) pairs, ring after ring, copied into the GeoIndex for
  // its even-odd point-in-polygon test (exact for a valid (multi)polygon with holes, and several
  // times faster than Boost's generic winding strategy).
  std::vector<double> xy;
  std::vector<std::uint32_t> ring_ends;  // index into xy/2 where each ring ends

};

namespace {
constexpr double kMetresPerDegree = 111320.0;

std::shared_ptr<const Shape::Impl> Finish(MultiPolygon mp) {
  auto impl = std::make_shared<Shape::Impl>();
  impl->mp = std::move(mp);
  impl->box = bg::return_envelope<Box>(impl->mp);
  impl->area = bg::area(impl->mp);
  auto add_ring = [&](const auto& ring) {
    for (const auto& p : ring) {
      impl->xy.push_back(p.x());
      impl->xy.push_back(p.y());
    }
    impl->ring_ends.push_back(static_cast<std::uint32_t>(impl->xy.size() / 2));
  };
  for (const auto& poly : impl->mp) {
    add_ring(poly.outer());
    for (const auto& inner : poly.inners()) add_ring(inner);
  }
  return impl;
}

Result<Point> ParsePosition(const json::value& v, const std::string& field) {
  const auto* a = v.if_array();
  if (!a || a->size() < 2 || !(*a)[0].is_number() || !(*a)[1].is_number()) {
    return Error::Invalid(field, field + ": every position must be [longitude, latitude]");
  }
  double lon = (*a)[0].to_number<double>(), lat = (*a)[1].to_number<double>();
  if (auto st = ValidateLonLat(lon, lat); !st) return Error::Invalid(field, field + ": " + st.error().message);
  return Point(lon, lat);
}

Result<Polygon> ParsePolygon(const json::value& v, const std::string& field, std::size_t& vertices,
                             std::size_t max_vertices) {
  const auto* rings = v.if_array();
  if (!rings || rings->empty()) return Error::Invalid(field, field + ": a polygon needs at least one ring");
  Polygon poly;
  for (std::size_t r = 0; r < rings->size(); ++r) {
    const auto* ring = (*rings)[r].if_array();
    if (!ring || ring->size() < 4) {
      return Error::Invalid(field, field + ": every ring needs at least 4 positions, the last equal to the first");
    }
    vertices += ring->size();
    if (vertices > max_vertices) {
      return Error::Invalid(field, field + " has more than " + std::to_string(max_vertices) + " vertices");
    }
    auto& out = r == 0 ? poly.outer() : poly.inners().emplace_back();
    for (const auto& pos : *ring) {
      LINLI_ASSIGN_OR_RETURN(auto p, ParsePosition(pos, field));
      out.push_back(p);
    }
    if (!bg::equals(out.front(), out.back())) {
      return Error::Invalid(field, field + ": every ring must end where it starts");
    }
  }
  return poly;
}
}  // namespace

Status ValidateLonLat(double lon, double lat) {
  if (!std::isfinite(lon) || lon < -180 || lon > 180) return Error::Invalid("lon", "lon must be between -180 and 180");
  if (!std::isfinite(lat) || lat < -90 || lat > 90) return Error::Invalid("lat", "lat must be between -90 and 90");
  return Ok();
}

namespace {
Result<Shape> ShapeOf(const json::value& doc, const std::string& field, std::size_t max_vertices);
}  // namespace

Result<Shape> ParseBoundary(std::string_view geojson, std::string_view field_name, std::size_t max_vertices) {
  std::string field(field_name);
  boost::system::error_code ec;
  json::value doc = json::parse(geojson, ec);
  if (ec) return Error::Invalid(field, field + " is not valid JSON");
  return ShapeOf(doc, field, max_vertices);
}

Result<std::vector<CodedShape>> ParseCodedBoundaries(std::string_view feature_collection, std::size_t max_features) {
  boost::system::error_code ec;
  json::value doc = json::parse(feature_collection, ec);
  if (ec) return Error::Invalid("features", "the file is not valid JSON");
  const json::array* features = nullptr;
  if (const auto* o = doc.if_object()) {
    if (auto* t = o->if_contains("type"); t && t->is_string() && t->as_string() == "FeatureCollection") {
      if (auto* f = o->if_contains("features")) features = f->if_array();
    }
  }
  if (!features) return Error::Invalid("features", "give a GeoJSON FeatureCollection with a features array");
  if (features->size() > max_features) {
    return Error::Invalid("features", "at most " + std::to_string(max_features) + " features a file");
  }
  std::vector<CodedShape> out;
  out.reserve(features->size());
  for (std::size_t i = 0; i < features->size(); ++i) {
    const std::string where = "feature " + std::to_string(i + 1);
    const json::object* props = nullptr;
    if (const auto* f = (*features)[i].if_object()) {
      if (auto* p = f->if_contains("properties")) props = p->if_object();
    }
    const json::value* code = nullptr;
    if (props) code = props->if_contains("code") ? props->if_contains("code") : props->if_contains("编码");
    if (!code || !code->is_string() || code->as_string().empty()) {
      return Error::Invalid("features", where + " names no node: give properties.code");
    }
    CodedShape c{i + 1, std::string(code->as_string()), {}};
    auto shape = ShapeOf((*features)[i], where + " (" + c.code + ")", 20000);
    if (!shape) return Error::Invalid("features", shape.error().message);
    c.shape = std::move(*shape);
    out.push_back(std::move(c));
  }
  return out;
}

namespace {
Result<Shape> ShapeOf(const json::value& doc, const std::string& field, std::size_t max_vertices) {
  const json::object* geometry = doc.if_object();
  if (geometry) {
    if (auto* t = geometry->if_contains("type"); t && t->is_string() && t->as_string() == "Feature") {
      auto* g = geometry->if_contains("geometry");
      geometry = g ? g->if_object() : nullptr;
    }
  }
  if (!geometry) return Error::Invalid(field, field + " must be a GeoJSON Polygon or MultiPolygon");
  auto* type = geometry->if_contains("type");
  auto* coords = geometry->if_contains("coordinates");
  if (!type || !type->is_string() || !coords) {
    return Error::Invalid(field, field + " must be a GeoJSON Polygon or MultiPolygon");
  }
  MultiPolygon mp;
  std::size_t vertices = 0;
  if (type->as_string() == "Polygon") {
    LINLI_ASSIGN_OR_RETURN(auto poly, ParsePolygon(*coords, field, vertices, max_vertices));
    mp.push_back(std::move(poly));
  } else if (type->as_string() == "MultiPolygon") {
    const auto* polys = coords->if_array();
    if (!polys || polys->empty()) return Error::Invalid(field, field + ": a MultiPolygon needs polygons");
    for (const auto& p : *polys) {
      LINLI_ASSIGN_OR_RETURN(auto poly, ParsePolygon(p, field, vertices, max_vertices));
      mp.push_back(std::move(poly));
    }
  } else {
    return Error::Invalid(field, field + " must be a GeoJSON Polygon or MultiPolygon, not " +
                                     std::string(type->as_string()));
  }
  if (bg::intersects(mp)) return Error::Invalid(field, field + " is not a valid polygon: it has self-intersections");
  bg::correct(mp);  // orientation and closure; a self-intersection was refused above
  std::string reason;
  if (!bg::is_valid(mp, reason)) return Error::Invalid(field, field + " is not a valid polygon: " + reason);
  if (bg::area(mp) <= 0) return Error::Invalid(field, field + " has no area");
  return Shape(Finish(std::move(mp)));
}
}  // namespace

LonLat Shape::Centroid() const {
  Point c;
  bg::centroid(impl_->mp, c);
  return {c.x(), c.y()};
}

double Shape::Area() const { return impl_->area; }

double Shape::AreaSquareMetres() const {
  double lat = (impl_->box.min_corner().y() + impl_->box.max_corner().y()) / 2;
  return impl_->area * kMetresPerDegree * kMetresPerDegree * std::cos(lat * M_PI / 180);
}

bool Shape::Covers(LonLat p) const {
  Point pt(p.lon, p.lat);
  return bg::covered_by(pt, impl_->box) && bg::covered_by(pt, impl_->mp);
}

std::size_t Shape::VertexCount() const { return bg::num_points(impl_->mp); }

std::string Shape::ToGeoJson() const {
  std::string out;
  char buf[64];
  auto ring = [&](const auto& r) {
    out += '[';
    for (std::size_t i = 0; i < r.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%s[%.7f,%.7f]", i ? "," : "", r[i].x(), r[i].y());
      out += buf;
    }
    out += ']';
  };
  auto polygon = [&](const Polygon& p) {
    out += '[';
    ring(p.outer());
    for (const auto& inner : p.inners()) {
      out += ',';
      ring(inner);
    }
    out += ']';
  };
  if (impl_->mp.size() == 1) {
    out = "{\"type\":\"Polygon\",\"coordinates\":";
    polygon(impl_->mp.front());
  } else {
    out = "{\"type\":\"MultiPolygon\",\"coordinates\":[";
    for (std::size_t i = 0; i < impl_->mp.size(); ++i) {
      if (i) out += ',';
      polygon(impl_->mp[i]);
    }
    out += ']';
  }
  out += '}';
  return out;
}

Result<Shape> UnionOf(const std::vector<Shape>& shapes) {
  if (shapes.empty()) return Error::Invalid("boundary", "nothing to unite");
  try {
    MultiPolygon acc = shapes.front().impl().mp;
    for (std::size_t i = 1; i < shapes.size(); ++i) {
      MultiPolygon next;
      bg::union_(acc, shapes[i].impl().mp, next);
      acc = std::move(next);
    }
    return Shape(Finish(std::move(acc)));
  } catch (const std::exception& e) {
    return Error::Invalid("boundary", std::string("the boundaries cannot be united: ") + e.what());
  }
}

double OverlapShare(const Shape& a, const Shape& b) {
  if (!bg::intersects(a.impl().box, b.impl().box)) return 0;
  try {
    MultiPolygon out;
    bg::intersection(a.impl().mp, b.impl().mp, out);
    double smaller = std::min(a.Area(), b.Area());
    return smaller > 0 ? bg::area(out) / smaller : 0;
  } catch (const std::exception&) {
    return 1;  // overlay failed on degenerate input: treat as overlapping, so a person looks
  }
}

double OutsideShare(const Shape& child, const Shape& parent) {
  try {
    MultiPolygon out;
    bg::difference(child.impl().mp, parent.impl().mp, out);
    return child.Area() > 0 ? bg::area(out) / child.Area() : 0;
  } catch (const std::exception&) {
    return 1;
  }
}

std::vector<BoundaryViolation> CheckPlacement(const Shape& shape, const std::optional<PlacedShape>& parent,
                                              const std::vector<PlacedShape>& siblings, double tolerance) {
  std::vector<BoundaryViolation> out;
  if (parent && !parent->shape.empty()) {
    double share = OutsideShare(shape, parent->shape);
    if (share > tolerance) out.push_back({"outside_parent", parent->node_id, share});
  }
  for (const auto& s : siblings) {
    if (s.shape.empty()) continue;
    double share = OverlapShare(shape, s.shape);
    if (share > tolerance) out.push_back({"overlaps_sibling", s.node_id, share});
  }
  return out;
}

std::string DescribeViolations(const std::vector<BoundaryViolation>& v) {
  std::string out;
  char buf[160];
  for (const auto& x : v) {
    if (!out.empty()) out += "; ";
    std::snprintf(buf, sizeof buf, "%s node %lld (%.1f%% of the area)",
                  x.kind == "outside_parent" ? "lies outside its parent" : "overlaps sibling",
                  static_cast<long long>(x.other_id), x.share * 100);
    out += buf;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

// The tree holds float boxes, rounded outwards: half the memory of doubles, so more of the tree
// stays in cache; rounding is monotonic, so a point inside a polygon is inside its float box.
using FloatPoint = bg::model::point<float, 2, bg::cs::cartesian>;
using FloatBox = bg::model::box<FloatPoint>;
using TreeValue = std::pair<FloatBox, std::uint32_t>;

FloatBox Outward(const Box& b) {
  auto down = [](double v) { return std::nextafter(static_cast<float>(v), -INFINITY); };
  auto up = [](double v) { return std::nextafter(static_cast<float>(v), INFINITY); };
  return FloatBox(FloatPoint(down(b.min_corner().x()), down(b.min_corner().y())),
                  FloatPoint(up(b.max_corner().x()), up(b.max_corner().y())));
}

struct GeoIndex::Tree {
  std::vector<Entry> entries;
  // What a lookup touches, laid out for it: each entry's vertices contiguous in one array (its
  // rings one after another, then the first vertex of each earlier ring in reverse, so the
  // edges that join rings are walked twice and cancel out in the even-odd count), and a span
  // per entry saying where they are. One miss for the span, then sequential reads.
  struct Span {
    std::int64_t node_id;
    std::uint32_t begin, end;  // vertex indices into xy/2
    int rank;
  };
  std::vector<Span> spans;
  std::vector<double> xy;
  bgi::rtree<TreeValue, bgi::rstar<8>> rtree;

  bool Contains(const Span& span, double x, double y) const {
    bool inside = false;
    const double* v = xy.data();
    for (std::uint32_t i = span.begin + 1; i < span.end; ++i) {
      double xi = v[2 * i], yi = v[2 * i + 1], xj = v[2 * i - 2], yj = v[2 * i - 1];
      if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
};

GeoIndex::GeoIndex(std::vector<Entry> entries) : tree_(std::make_unique<Tree>()) {
  std::vector<TreeValue> values;
  values.reserve(entries.size());
  for (std::uint32_t i = 0; i < entries.size(); ++i) {
    Tree::Span span{entries[i].node_id, static_cast<std::uint32_t>(tree_->xy.size() / 2), 0, entries[i].rank};
    if (!entries[i].shape.empty()) {
      const auto& impl = entries[i].shape.impl();
      values.emplace_back(Outward(impl.box), i);
      std::vector<std::uint32_t> ring_starts;
      std::uint32_t begin = 0;
      for (auto end : impl.ring_ends) {
        ring_starts.push_back(begin);
        tree_->xy.insert(tree_->xy.end(), impl.xy.begin() + 2 * begin, impl.xy.begin() + 2 * end);
        begin = end;
      }
      for (std::size_t r = ring_starts.size(); r-- > 1;) {
        tree_->xy.push_back(impl.xy[2 * ring_starts[r - 1]]);
        tree_->xy.push_back(impl.xy[2 * ring_starts[r - 1] + 1]);
      }
    }
    span.end = static_cast<std::uint32_t>(tree_->xy.size() / 2);
    tree_->spans.push_back(span);
  }
  tree_->entries = std::move(entries);
  tree_->rtree = decltype(tree_->rtree)(values.begin(), values.end());  // packed bulk load
}

GeoIndex::~GeoIndex() = default;

std::size_t GeoIndex::size() const { return tree_->rtree.size(); }

std::size_t GeoIndex::CandidateCount(LonLat p) const {
  std::size_t n = 0;
  FloatPoint fpt(static_cast<float>(p.lon), static_cast<float>(p.lat));
  tree_->rtree.query(bgi::intersects(fpt), boost::make_function_output_iterator([&](const TreeValue&) { ++n; }));
  return n;
}

double DistanceMetres(const LonLat& a, const LonLat& b) {
  constexpr double kPi = 3.14159265358979323846;
  double mean_lat = (a.lat + b.lat) / 2 * kPi / 180;
  double dx = (a.lon - b.lon) * std::cos(mean_lat) * kMetresPerDegree;
  double dy = (a.lat - b.lat) * kMetresPerDegree;
  return std::sqrt(dx * dx + dy * dy);
}

std::optional<GeoIndex::Hit> GeoIndex::Locate(LonLat p, double tolerance_m) const {
  Point pt(p.lon, p.lat);
  const Tree::Span* found = nullptr;
  auto inside = [&](const TreeValue& v) {
    const Tree::Span& span = tree_->spans[v.second];
    if ((!found || span.rank > found->rank) && tree_->Contains(span, p.lon, p.lat)) found = &span;
  };
  FloatPoint fpt(static_cast<float>(p.lon), static_cast<float>(p.lat));
  tree_->rtree.query(bgi::intersects(fpt), boost::make_function_output_iterator(inside));
  if (found) return Hit{found->node_id, 0};
  const Entry* best = nullptr;
  if (tolerance_m <= 0) return std::nullopt;
  // In a gap between boundaries: the nearest few boxes, then exact distances. Degrees are turned
  // into metres along a meridian, which overstates east-west distances a little: conservative.
  double best_m = tolerance_m;
  auto near = [&](const TreeValue& v) {
    const Entry& e = tree_->entries[v.second];
    double m = bg::distance(pt, e.shape.impl().mp) * kMetresPerDegree;
    if (m <= best_m && (!best || m < best_m || e.rank > best->rank)) {
      best = &e;
      best_m = m;
    }
  };
  tree_->rtree.query(bgi::nearest(fpt, 8), boost::make_function_output_iterator(near));
  if (best) return Hit{best->node_id, best_m};
  return std::nullopt;
}

std::vector<GeoIndex::Hit> GeoIndex::Within(LonLat p, double radius_m) const {
  // A box of the radius around the point (east-west degrees are shorter away from the equator),
  // then exact distances to the boundaries whose boxes meet it.
  double dlat = radius_m / kMetresPerDegree;
  double dlon = dlat / std::max(0.1, std::cos(p.lat * 3.14159265358979323846 / 180.0));
  FloatBox around(FloatPoint(static_cast<float>(p.lon - dlon), static_cast<float>(p.lat - dlat)),
                  FloatPoint(static_cast<float>(p.lon + dlon), static_cast<float>(p.lat + dlat)));
  Point pt(p.lon, p.lat);
  std::vector<Hit> out;
  auto near = [&](const TreeValue& v) {
    const Entry& e = tree_->entries[v.second];
    double m = bg::distance(pt, e.shape.impl().mp) * kMetresPerDegree;
    if (m <= radius_m) out.push_back({e.node_id, m});
  };
  tree_->rtree.query(bgi::intersects(around), boost::make_function_output_iterator(near));
  std::sort(out.begin(), out.end(), [](const Hit& a, const Hit& b) {
    return a.distance_m != b.distance_m ? a.distance_m < b.distance_m : a.node_id < b.node_id;
  });
  return out;
}

}  // namespace linli::domain
