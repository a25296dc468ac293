#include "cli/demo_population.h"

#include <cstdio>
#include <future>
#include <iostream>
#include <random>
#include <unordered_set>

#include "core/tabular.h"
#include "domain/identity.h"

namespace linli::cli {

using service::Await;
using service::Caller;

namespace {

constexpr double kWest = 120.740, kSouth = 31.640, kEast = 120.800, kNorth = 31.680;  // around 琴川, 常熟

struct Box {
  double x0, y0, x1, y1;
  Box Cell(int col, int cols, int row, int rows) const {
    double w = (x1 - x0) / cols, h = (y1 - y0) / rows;
    return {x0 + col * w, y0 + row * h, x0 + (col + 1) * w, y0 + (row + 1) * h};
  }
  std::string GeoJson() const { return RectangleGeoJson(x0, y0, x1, y1); }
};

const char* const kCommunityNames[] = {"虹桥", "新街", "书院", "琴湖", "言子", "南门", "北门", "西门", "东门", "虞山",
                                       "枫泾", "报慈"};

// Surnames weighted roughly by their frequency in Jiangsu.
const char* const kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "朱", "马",
                                 "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯",
                                 "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "钱", "沈",
                                 "顾", "陆", "姚", "缪", "季", "殷"};
const char* const kGivenMale[] = {"伟", "强", "军", "磊", "勇", "杰", "涛", "明", "超", "华", "建国", "建华", "国强",
                                  "志刚", "海", "俊", "浩", "宇", "子轩", "文", "斌", "鹏", "刚", "德明", "永林"};
const char* const kGivenFemale[] = {"芳", "娟", "敏", "静", "丽", "艳", "秀英", "桂英", "玉兰", "霞", "婷", "雪", "琳",
                                    "欣怡", "梓涵", "红", "萍", "慧", "佳", "桂兰", "美华", "晓燕", "丹", "莉", "雨萱"};
const char* const kOccupations[] = {"退休", "个体经营", "企业职工", "教师", "医护", "司机", "公务员", "自由职业",
                                    "外卖骑手", "待业", "务农", "工程师"};

class Population {
 public:
  explicit Population(std::uint64_t seed) : rng_(seed) {}

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <class T, std::size_t N>
  const T& Pick(const T (&a)[N]) { return a[Uniform(0, N - 1)]; }

  std::string Name(char gender) { return std::string(Pick(kSurnames)) + (gender == 'M' ? Pick(kGivenMale) : Pick(kGivenFemale)); }

  domain::CivilDate Birth(int age) {
    domain::CivilDate d{2026 - age - Uniform(0, 1), Uniform(1, 12), Uniform(1, 28)};
    if (d > domain::CivilDate{2026, 11, 1}) d.year -= 1;  // never born after the demo's date
    return d;
  }

  // An ID number no earlier row of the roster holds. Within one region it is the birth date and
  // a sequence number (odd for men), so `taken` keeps those as one integer: a set of 300,000
  // strings was a third of making a subdistrict's rosters.
  std::string IdNumber(const domain::CivilDate& birth, char gender, std::unordered_set<std::int64_t>& taken) {
    const std::int64_t day = (birth.year * 100LL + birth.month) * 100 + birth.day;
    int seq;
    do {
      seq = Uniform(0, 499) * 2 + (gender == 'M' ? 1 : 0);
    } while (!taken.insert(day * 1000 + seq).second);
    char first17[18];
    std::snprintf(first17, sizeof first17, "%.6s%04d%02d%02d%03d", region.c_str(), birth.year, birth.month, birth.day, seq);
    return std::string(first17) + domain::IdCheckCharacter(first17);
  }

  std::string Phone() {
    static const char* const kPrefixes[] = {"139", "138", "137", "136", "135", "188", "187", "158", "151", "180", "189", "133", "177"};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%s%08d", Pick(kPrefixes), Uniform(0, 99999999));
    return buf;
  }

  std::string region = "320581";  // the county code ID numbers start with

 private:
  std::mt19937_64 rng_;
};

// One roster row in RosterColumns() order.
tabular::Row Person(Population& p, const std::string& building, const std::string& unit, const std::string& room,
                    const char* relation, char gender, int age, const std::string& surname_hint, std::string tags,
                    std::unordered_set<std::int64_t>& ids, const char* residence) {
  auto birth = p.Birth(age);
  std::string name = surname_hint.empty() ? p.Name(gender)
                                          : surname_hint + (gender == 'M' ? p.Pick(kGivenMale) : p.Pick(kGivenFemale));
  std::string id = p.IdNumber(birth, gender, ids);
  if (age >= 18 && p.Chance(0.07)) tags += tags.empty() ? "党员" : "、党员";
  if (age >= 25 && gender == 'M' && p.Chance(0.02)) tags += tags.empty() ? "退役军人" : "、退役军人";
  std::string level;
  if (p.Chance(age >= 70 ? 0.06 : 0.015)) {
    tags += tags.empty() ? "残疾" : "、残疾";
    level = std::to_string(p.Uniform(1, 4));
  }
  if (age >= 75 && p.Chance(0.15)) tags += tags.empty() ? "重点关爱" : "、重点关爱";
  // The subdistrict's own tag (defined by `linli demo` before the population loads).
  if (age >= 18 && age < 70 && p.Chance(0.03)) tags += tags.empty() ? "志愿者" : "、志愿者";
  std::string occupation = age >= 62 ? "退休" : age < 18 ? (age >= 6 ? "学生" : "") : p.Pick(kOccupations);
  return {building, unit, room, name, relation, gender == 'M' ? "男" : "女", birth.Iso(), id,
          age >= 16 ? p.Phone() : "", p.Chance(0.97) ? "汉族" : "回族", residence, occupation, tags, level};
}

// A household of a realistic kind: elderly alone, elderly couple, young couple, three, three generations, renters.
void Household(Population& p, const std::string& building, const std::string& unit, const std::string& room,
               std::vector<tabular::Row>& rows, std::unordered_set<std::int64_t>& ids) {
  int kind = p.Uniform(1, 100);
  const char* residence = p.Chance(0.72) ? "户籍" : p.Chance(0.5) ? "常住" : "流动";
  std::string surname = p.Pick(kSurnames);
  char head_gender = p.Chance(0.7) ? 'M' : 'F';
  char other = head_gender == 'M' ? 'F' : 'M';
  std::string low = p.Chance(0.02) ? "低保" : "";
  auto with = [&](std::string a, const std::string& b) { return b.empty() ? a : a.empty() ? b : a + "、" + b; };
  if (kind <= 9) {  // an elderly person living alone
    rows.push_back(Person(p, building, unit, room, "户主", p.Chance(0.65) ? 'F' : 'M', p.Uniform(65, 94), surname,
                          with("独居", low), ids, residence));
  } else if (kind <= 24) {  // an elderly couple
    int age = p.Uniform(62, 88);
    rows.push_back(Person(p, building, unit, room, "户主", head_gender, age, surname, low, ids, residence));
    rows.push_back(Person(p, building, unit, room, "配偶", other, age + p.Uniform(-4, 3), "", "", ids, residence));
  } else if (kind <= 34) {  // renters
    rows.push_back(Person(p, building, unit, room, "户主", head_gender, p.Uniform(20, 40), surname, "", ids, "租户"));
    if (p.Chance(0.5)) rows.push_back(Person(p, building, unit, room, "租住人员", other, p.Uniform(20, 40), "", "", ids, "租户"));
  } else if (kind <= 70) {  // parents and a child or two
    int age = p.Uniform(28, 52);
    rows.push_back(Person(p, building, unit, room, "户主", head_gender, age, surname, low, ids, residence));
    rows.push_back(Person(p, building, unit, room, "配偶", other, age + p.Uniform(-3, 3), "", "", ids, residence));
    int children = p.Chance(0.35) ? 2 : 1;
    for (int c = 0; c < children; ++c) {
      rows.push_back(Person(p, building, unit, room, "子女", p.Chance(0.52) ? 'M' : 'F', std::max(0, age - p.Uniform(24, 34)),
                            surname, "", ids, residence));
    }
  } else if (kind <= 88) {  // three generations
    int age = p.Uniform(35, 50);
    rows.push_back(Person(p, building, unit, room, "户主", head_gender, age, surname, low, ids, residence));
    rows.push_back(Person(p, building, unit, room, "配偶", other, age + p.Uniform(-3, 3), "", "", ids, residence));
    rows.push_back(Person(p, building, unit, room, "子女", p.Chance(0.5) ? 'M' : 'F', std::max(0, age - p.Uniform(25, 33)),
                          surname, "", ids, residence));
    rows.push_back(Person(p, building, unit, room, "父母", head_gender, age + p.Uniform(24, 32), surname, "", ids, residence));
    if (p.Chance(0.6)) rows.push_back(Person(p, building, unit, room, "父母", other, age + p.Uniform(23, 31), "", "", ids, residence));
  } else {  // a young couple
    int age = p.Uniform(23, 34);
    rows.push_back(Person(p, building, unit, room, "户主", head_gender, age, surname, "", ids, residence));
    rows.push_back(Person(p, building, unit, room, "配偶", other, age + p.Uniform(-2, 2), "", "", ids, residence));
  }
}

Result<domain::OrgNode> EnsureNode(service::Services& s, std::int64_t parent_id, const char* type, const std::string& code,
                                   const std::string& name) {
  if (auto n = s.org.GetByCode(Caller::Cli(), code)) return n;
  return Await<domain::OrgNode>([&](auto done) { s.org.Create(Caller::Cli(), {parent_id, type, code, name}, std::move(done)); });
}

Status SetBoundary(service::Services& s, std::int64_t node, const std::string& geojson) {
  auto r = Await<domain::OrgNode>([&](auto done) { s.geo.SetBoundary(Caller::Cli(), node, geojson, std::move(done)); });
  if (!r) return r.error();
  return Ok();
}

}  // namespace

std::string RectangleGeoJson(double west, double south, double east, double north) {
  char buf[320];
  std::snprintf(buf, sizeof buf,
                R"({"type":"Polygon","coordinates":[[[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f]]]})",
                west, south, east, south, east, north, west, north, west, south);
  return buf;
}

std::vector<tabular::Row> DemoRoster(const std::vector<std::string>& building_codes, int households_per_building,
                                     std::uint64_t seed, const std::string& region) {
  Population p(seed);
  p.region = region;
  std::vector<tabular::Row> rows(1);
  for (const auto& c : service::RosterColumns()) rows[0].emplace_back(c.header);
  std::unordered_set<std::int64_t> ids;
  ids.reserve(building_codes.size() * static_cast<std::size_t>(households_per_building) * 3);
  for (const auto& code : building_codes) {
    for (int h = 0; h < households_per_building; ++h) {
      int unit = 1 + h % 2, floor = 1 + (h / 2) % 30;
      std::string room = std::to_string(floor * 100 + 1 + h / 60);
      Household(p, code, std::to_string(unit) + "单元", room, rows, ids);
    }
  }
  return rows;
}

Status LoadDemoPopulation(service::Services& s, const DemoSize& size) {
  Caller cli = Caller::Cli();
  Population p(20261122);
  LINLI_ASSIGN_OR_RETURN(auto root, s.org.GetByCode(cli, "320581001"));
  Box area{kWest, kSouth, kEast, kNorth};
  LINLI_TRY(SetBoundary(s, root.id, area.GeoJson()));
  int cols = (size.communities + 1) / 2;
  std::vector<std::pair<std::string, std::int64_t>> building_places;  // (code, micro-grid)
  std::vector<std::tuple<std::string, double, double, std::int64_t>> buildings;
  for (int c = 0; c < size.communities; ++c) {
    char code[32];
    std::snprintf(code, sizeof code, "320581001%03d", c + 1);
    std::string cname = std::string(kCommunityNames[c % 12]) + "社区";
    LINLI_ASSIGN_OR_RETURN(auto community, EnsureNode(s, root.id, "community", code, cname));
    Box cbox = area.Cell(c % cols, cols, c / cols, 2);
    LINLI_TRY(SetBoundary(s, community.id, cbox.GeoJson()));
    // 虹桥社区 keeps its compound 虹桥花园 around its first two grids.
    std::optional<domain::OrgNode> compound;
    if (c == 0) {
      if (auto found = s.org.GetByCode(cli, "320581001001101")) {
        compound = *found;
        Box both = cbox.Cell(0, 3, 0, 2);
        both.x1 = cbox.Cell(1, 3, 0, 2).x1;
        LINLI_TRY(SetBoundary(s, compound->id, both.GeoJson()));
      }
    }
    for (int g = 0; g < size.grids_per_community; ++g) {
      Box gbox = cbox.Cell(g % 3, 3, g / 3, 2);
      char gcode[64];
      std::string parent_code = compound && g < 2 ? compound->code : std::string(code);
      std::int64_t parent_id = compound && g < 2 ? compound->id : community.id;
      // Existing demo grids keep their codes (320581001001101001 ...); the rest are numbered 0NN.
      if (compound && g < 2) std::snprintf(gcode, sizeof gcode, "%s%03d", parent_code.c_str(), g + 1);
      else std::snprintf(gcode, sizeof gcode, "%s%03d", code, g + 1);
      std::string gname = std::string(kCommunityNames[c % 12]) + "第" + std::to_string(g + 1) + "网格";
      LINLI_ASSIGN_OR_RETURN(auto grid, EnsureNode(s, parent_id, "grid", gcode, gname));
      LINLI_TRY(SetBoundary(s, grid.id, gbox.GeoJson()));
      for (int m = 0; m < size.micro_per_grid; ++m) {
        Box mbox = gbox.Cell(m, size.micro_per_grid, 0, 1);
        char mcode[48];
        std::snprintf(mcode, sizeof mcode, "%s%03d", grid.code.c_str(), m + 1);
        LINLI_ASSIGN_OR_RETURN(auto micro, EnsureNode(s, grid.id, "micro_grid", mcode,
                                                       grid.name + std::to_string(m + 1) + "号微网格"));
        LINLI_TRY(SetBoundary(s, micro.id, mbox.GeoJson()));
        for (int b = 0; b < size.buildings_per_micro; ++b) {
          char bcode[48];
          std::snprintf(bcode, sizeof bcode, "QC%02d-%d%d-%02d", c + 1, g + 1, m + 1, b + 1);
          double lon = mbox.x0 + (mbox.x1 - mbox.x0) * (0.15 + 0.7 * ((b % 3) + 0.5) / 3);
          double lat = mbox.y0 + (mbox.y1 - mbox.y0) * (0.1 + 0.8 * ((b / 3) + 0.5) / ((size.buildings_per_micro + 2) / 3));
          buildings.emplace_back(bcode, lon, lat, micro.id);
        }
      }
    }
  }
  // The dedicated grid of 虹桥小学: a school ground inside 虹桥社区.
  if (auto school = s.org.GetByCode(cli, "320581001001901")) {
    Box cbox = area.Cell(0, cols, 0, 2);
    Box yard = cbox.Cell(2, 3, 1, 2).Cell(1, 3, 1, 3);
    LINLI_TRY(SetBoundary(s, school->id, yard.GeoJson()));
  }
  // Buildings, submitted together so the writer commits them in a few batches.
  std::vector<std::future<Result<storage::BuildingRow>>> pending;
  for (const auto& [code, lon, lat, node] : buildings) {
    if (s.registry.GetBuildingByCode(cli, code)) continue;
    auto promise = std::make_shared<std::promise<Result<storage::BuildingRow>>>();
    pending.push_back(promise->get_future());
    service::BuildingInput in;
    in.node_id = node;
    in.code = code;
    in.name = code.substr(code.size() - 2) + "栋";
    in.address = "琴川街道 " + code;
    in.lon = lon;
    in.lat = lat;
    in.floors = 6;
    in.units = 2;
    s.registry.CreateBuilding(cli, std::move(in), [promise](Result<storage::BuildingRow> r) { promise->set_value(std::move(r)); });
  }
  for (auto& f : pending) {
    auto r = f.get();
    if (!r) return r.error();
  }
  // Residents through the roster import.
  std::vector<std::string> codes;
  for (const auto& b : buildings) codes.push_back(std::get<0>(b));
  auto rows = DemoRoster(codes, size.households_per_building, 20261122);
  service::ImportOptions options;
  auto report = s.imports.ImportResidents(cli, tabular::WriteCsv(rows), tabular::Format::kCsv, options);
  if (!report && report.error().code == ErrorCode::kAlreadyExists) {
    std::cout << "demo population was loaded already\n";
    return Ok();
  }
  if (!report) return report.error();
  if (report->issue_count > 0) {
    return Error::Internal("demo roster row " + std::to_string(report->issues[0].row) + ": " + report->issues[0].message);
  }
  std::cout << "demo population: " << buildings.size() << " buildings, " << report->households_created
            << " households, " << report->residents_created << " residents\n";
  return Ok();
}

}  // namespace linli::cli
