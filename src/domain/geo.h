// Grid boundaries and the point → grid lookup.
//
// Boundaries arrive as GeoJSON (Polygon, MultiPolygon, or a Feature holding one) in longitude /
// latitude degrees, WGS-84 or GCJ-02 as the community's map uses — Linli only needs them to agree
// with each other. Boost.Geometry does the work; its heavy headers stay inside geo.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace linli::domain {


struct LonLat {
  double lon = 0;
  double lat = 0;
};
// Metres between two nearby points (equirectangular; exact enough within a city).
double DistanceMetres(const LonLat& a, const LonLat& b);

// Checks a longitude/latitude pair given by a user (field names "lon" and "lat").
Status ValidateLonLat(double lon, double lat);

// A valid (multi)polygon. Cheap to copy: the geometry is shared and immutable.
class Shape {
 public:
  struct Impl;
  Shape() = default;
  explicit Shape(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  bool empty() const { return impl_ == nullptr; }
  LonLat Centroid() const;
  double Area() const;            // in square degrees; only ratios are meaningful
  double AreaSquareMetres() const;  // approximate (local equirectangular)
  bool Covers(LonLat p) const;    // inside or on the boundary
  std::string ToGeoJson() const;  // a normalised Polygon or MultiPolygon geometry
  std::size_t VertexCount() const;
  const Impl& impl() const { return *impl_; }

 private:
  std::shared_ptr<const Impl> impl_;
};

// Parses and validates: well-formed GeoJSON, closed rings of at least 4 positions, coordinates in
// range, at most `max_vertices`, no self-intersections or spikes. Ring orientation is corrected.
// Errors name `field` and say what is wrong (Boost.Geometry's validity reason).
Result<Shape> ParseBoundary(std::string_view geojson, std::string_view field = "boundary",
                            std::size_t max_vertices = 20000);
// The features of a GeoJSON FeatureCollection, each naming its org node by properties.code (or
// 编码) and parsed as ParseBoundary parses one boundary; the first bad one is named by its position
// (from 1) and code, field "features".
struct CodedShape {
  std::size_t position = 0;
  std::string code;
  Shape shape;
};
Result<std::vector<CodedShape>> ParseCodedBoundaries(std::string_view feature_collection,
                                                      std::size_t max_features = 200000);

// The union of several shapes (merging grids).
Result<Shape> UnionOf(const std::vector<Shape>& shapes);
// The part of `shape` inside `clip` (splitting a grid keeps micro-grids inside it).
double OverlapShare(const Shape& a, const Shape& b);  // area(a ∩ b) / min(area a, area b)
double OutsideShare(const Shape& child, const Shape& parent);  // area(child \ parent) / area(child)

// A boundary problem of a node against its neighbours.
struct BoundaryViolation {
  std::string kind;        // "outside_parent" or "overlaps_sibling"
  std::int64_t other_id = 0;  // the parent or the sibling
  double share = 0;        // the fraction of the smaller area involved
};

struct PlacedShape {
  std::int64_t node_id = 0;
  Shape shape;
};

// A node's boundary must lie inside its parent's (when the parent has one) and must not overlap a
// sibling's, each beyond `tolerance` (a fraction of area; 1% by default absorbs digitising noise).
std::vector<BoundaryViolation> CheckPlacement(const Shape& shape, const std::optional<PlacedShape>& parent,
                                              const std::vector<PlacedShape>& siblings,
                                              double tolerance = 0.01);
std::string DescribeViolations(const std::vector<BoundaryViolation>& v);

// Point → node lookup over many boundaries: an R-tree of bounding boxes, then an exact
// point-in-polygon test. Immutable once built; share it through a shared_ptr and rebuild on change.
class GeoIndex {
 public:
  struct Entry {
    std::int64_t node_id = 0;
    int rank = 0;  // when boundaries nest or overlap, the highest rank wins (micro-grid over grid)
    Shape shape;
  };
  struct Hit {
    std::int64_t node_id = 0;
    double distance_m = 0;  // 0 inside; otherwise how far the point lies from the nearest boundary
  };

  explicit GeoIndex(std::vector<Entry> entries);
  ~GeoIndex();
  GeoIndex(const GeoIndex&) = delete;
  GeoIndex& operator=(const GeoIndex&) = delete;

  // The highest-ranked node containing `p`; else the nearest within `tolerance_m` metres.
  std::optional<Hit> Locate(LonLat p, double tolerance_m = 50) const;
  // Every indexed node whose boundary lies within `radius_m` metres of `p` (0 when inside), nearest
  // first: the grids around a place, across community lines.
  std::vector<Hit> Within(LonLat p, double radius_m) const;
  std::size_t size() const;
  // How many bounding boxes contain `p`: the R-tree step of Locate alone (benchmark baseline).
  std::size_t CandidateCount(LonLat p) const;

 private:
  struct Tree;
  std::unique_ptr<Tree> tree_;
};

}  // namespace linli::domain
