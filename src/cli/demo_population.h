// The demo subdistrict's population: boundaries for every node, ~10 communities, ~60 grids,
// ~180 micro-grids, ~2,000 buildings and ~50,000 residents with realistic ages, households,
// tags and Chinese names. Deterministic (fixed seed), so screenshots and docs stay comparable.
#pragma once

#include "core/tabular.h"
#include "service/services.h"

namespace linli::cli {

struct DemoSize {
  int communities = 10;
  int grids_per_community = 6;
  int micro_per_grid = 3;
  int buildings_per_micro = 11;
  int households_per_building = 10;
};

// Roster rows (the header first) for `households_per_building` households in each building, as
// the demo makes them: realistic household kinds, ages, tags, valid and distinct ID numbers.
// Deterministic for a seed. Also feeds the import benchmark. ID numbers start with `region` (six
// digits): rosters made with different regions never share an ID number.
std::vector<tabular::Row> DemoRoster(const std::vector<std::string>& building_codes, int households_per_building,
                                     std::uint64_t seed, const std::string& region = "320581");

// Adds the communities, grids and micro-grids not there yet, every boundary, the buildings and
// (through the roster import, so the same validation runs) the residents. Prints a summary.
Status LoadDemoPopulation(service::Services& s, const DemoSize& size);

// Six weeks of requests in the demo's grids, reported and handled at their own times by the case
// service on a clock set back (so the cockpit shows trends, levels, on-time and satisfaction
// rates): most solved in the grid, some escalated, a few dispatched to 城管中队 or rejected, most
// rated, the last few days' still open. Deterministic for a seed. Prints a summary.
Status LoadDemoCases(service::Services& s, int count, std::uint64_t seed);
// A rectangle of the map as a GeoJSON Polygon (the demo's and the generator's boundaries).
std::string RectangleGeoJson(double west, double south, double east, double north);

// What residents and grid workers write about a group of categories ("city", "community" …).
const std::vector<const char*>& DemoCaseWords(std::string_view group);

}  // namespace linli::cli
