// Pure rules of the domain layer: the org tree, access, sign-in rules, the audit chain, text.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "core/parallel.h"
#include "core/position_index.h"
#include "domain/access.h"
#include "domain/audit_chain.h"
#include "domain/auth_rules.h"
#include "domain/org.h"
#include "domain/text.h"
#include "storage/sql.h"

namespace linli::domain {
namespace {

TEST(OrgTree, ParentRulesFollowTheGovernanceGrid) {
  EXPECT_TRUE(MayParent(std::nullopt, NodeType::kSubdistrict));
  EXPECT_FALSE(MayParent(std::nullopt, NodeType::kGrid));
  EXPECT_TRUE(MayParent(NodeType::kSubdistrict, NodeType::kCommunity));
  EXPECT_FALSE(MayParent(NodeType::kSubdistrict, NodeType::kGrid));
  EXPECT_TRUE(MayParent(NodeType::kCommunity, NodeType::kCompound));
  EXPECT_TRUE(MayParent(NodeType::kCommunity, NodeType::kGrid));
  EXPECT_TRUE(MayParent(NodeType::kCompound, NodeType::kGrid));
  EXPECT_TRUE(MayParent(NodeType::kGrid, NodeType::kMicroGrid));
  EXPECT_FALSE(MayParent(NodeType::kMicroGrid, NodeType::kMicroGrid));
  EXPECT_FALSE(MayParent(NodeType::kCompound, NodeType::kMicroGrid));
  EXPECT_TRUE(MayParent(NodeType::kCommunity, NodeType::kDedicatedGrid));
  EXPECT_FALSE(MayParent(NodeType::kGrid, NodeType::kDedicatedGrid));
  EXPECT_FALSE(MayParent(NodeType::kCommunity, NodeType::kSubdistrict));
  // A city's districts (区/县) group its subdistricts; a district hangs under nothing.
  EXPECT_TRUE(MayParent(std::nullopt, NodeType::kDistrict));
  EXPECT_TRUE(MayParent(NodeType::kDistrict, NodeType::kSubdistrict));
  EXPECT_FALSE(MayParent(NodeType::kDistrict, NodeType::kCommunity));
  EXPECT_FALSE(MayParent(NodeType::kDistrict, NodeType::kDistrict));
  EXPECT_FALSE(MayParent(NodeType::kSubdistrict, NodeType::kDistrict));
}

TEST(OrgTree, NodeTypesRoundTrip) {
  for (NodeType t : AllNodeTypes()) EXPECT_EQ(ParseNodeType(NodeTypeName(t)), t);
  EXPECT_FALSE(ParseNodeType("Grid"));
  EXPECT_FALSE(ParseNodeType(""));
}

TEST(OrgTree, PathsArePrefixSafe) {
  EXPECT_EQ(ChildPath("/1/", 5), "/1/5/");
  EXPECT_TRUE(PathIsUnder("/1/5/9/", "/1/5/"));
  EXPECT_TRUE(PathIsUnder("/1/5/", "/1/5/"));
  EXPECT_FALSE(PathIsUnder("/1/50/", "/1/5/"));  // the trailing slash keeps 50 out of 5
  EXPECT_FALSE(PathIsUnder("/1/5/", ""));
  EXPECT_EQ(PathDepth("/1/5/9/"), 3);
  EXPECT_EQ(PathIds("/1/5/9/"), (std::vector<std::int64_t>{1, 5, 9}));
}

TEST(OrgTree, MoveRefusesCyclesAndWrongParents) {
  OrgNode grid{.id = 5, .parent_id = 4, .type = NodeType::kGrid, .path = "/1/2/4/5/"};
  OrgNode compound{.id = 6, .type = NodeType::kCompound, .path = "/1/2/6/"};
  OrgNode micro{.id = 7, .parent_id = 5, .type = NodeType::kMicroGrid, .path = "/1/2/4/5/7/"};
  OrgNode community{.id = 2, .type = NodeType::kCommunity, .path = "/1/2/"};
  EXPECT_TRUE(CheckMove(grid, compound));
  EXPECT_TRUE(CheckMove(grid, community));
  auto into_child = CheckMove(grid, micro);
  ASSERT_FALSE(into_child);
  EXPECT_EQ(into_child.error().field, "parent_id");
  EXPECT_FALSE(CheckMove(grid, grid));
  EXPECT_FALSE(CheckMove(grid, std::nullopt));
  OrgNode archived = grid;
  archived.archived = true;
  EXPECT_EQ(CheckMove(archived, compound).error().code, ErrorCode::kFailedPrecondition);
}

TEST(OrgTree, NamesAndCodesAreValidated) {
  EXPECT_TRUE(ValidateNodeName("虹桥第一网格"));
  EXPECT_EQ(ValidateNodeName("").error().field, "name");
  EXPECT_EQ(ValidateNodeName(std::string(101, 'a')).error().field, "name");
  std::string hundred_chinese;
  for (int i = 0; i < 100; ++i) hundred_chinese += "网";
  EXPECT_TRUE(ValidateNodeName(hundred_chinese));  // 300 bytes, 100 characters
  EXPECT_FALSE(ValidateNodeName(hundred_chinese + "网"));
  EXPECT_FALSE(ValidateNodeName("<script>"));
  EXPECT_FALSE(ValidateNodeName("a\nb"));
  EXPECT_TRUE(ValidateNodeCode("320581001"));
  EXPECT_FALSE(ValidateNodeCode("32058A"));
  EXPECT_FALSE(ValidateNodeCode(""));
  EXPECT_FALSE(ValidateNodeCode(std::string(33, '1')));
  // Codes grow by level: county (GB/T 2260) + street for the root, then 3 digits per level.
  EXPECT_TRUE(CheckNodeCode("320581001", std::nullopt, NodeType::kSubdistrict));
  EXPECT_FALSE(CheckNodeCode("990581001", std::nullopt, NodeType::kSubdistrict)) << "no province 99";
  EXPECT_FALSE(CheckNodeCode("320581000", std::nullopt, NodeType::kSubdistrict)) << "street 000";
  EXPECT_FALSE(CheckNodeCode("3205810011", std::nullopt, NodeType::kSubdistrict));
  OrgNode street;
  street.code = "320581001";
  EXPECT_TRUE(CheckNodeCode("320581001002", street, NodeType::kCommunity));
  EXPECT_FALSE(CheckNodeCode("320581001000", street, NodeType::kCommunity));
  EXPECT_FALSE(CheckNodeCode("32058100102", street, NodeType::kCommunity));
  EXPECT_FALSE(CheckNodeCode("320581002002", street, NodeType::kCommunity)) << "another street's prefix";
  // A district at the root is the county code alone; its streets are that code and 3 digits.
  EXPECT_TRUE(CheckNodeCode("320581", std::nullopt, NodeType::kDistrict));
  EXPECT_FALSE(CheckNodeCode("320581001", std::nullopt, NodeType::kDistrict)) << "a street's code";
  EXPECT_FALSE(CheckNodeCode("320500", std::nullopt, NodeType::kDistrict)) << "a prefecture, not a county";
  EXPECT_FALSE(CheckNodeCode("990581", std::nullopt, NodeType::kDistrict)) << "no province 99";
  EXPECT_FALSE(CheckNodeCode("320581", std::nullopt, NodeType::kSubdistrict)) << "a subdistrict needs its street number";
  OrgNode county;
  county.code = "320581";
  EXPECT_TRUE(CheckNodeCode("320581003", county, NodeType::kSubdistrict));
  EXPECT_FALSE(CheckNodeCode("320582003", county, NodeType::kSubdistrict)) << "another county's prefix";
  EXPECT_EQ(CheckNodeCode("x", street, NodeType::kMicroGrid, "micro_grids[0].code").error().field, "micro_grids[0].code");
  OrgNode other;
  other.code = "320581001007";
  EXPECT_EQ(CodeUnder(other, "320581001002101"), "320581001007101");
}

TEST(Text, CountsCharactersNotBytesAndRefusesBadUtf8) {
  EXPECT_EQ(Utf8Length("网格"), 2);
  EXPECT_EQ(Utf8Length("a网"), 2);
  EXPECT_EQ(Utf8Length("\xC0\xAF"), -1);          // overlong '/'
  EXPECT_EQ(Utf8Length("\xED\xA0\x80"), -1);      // surrogate
  EXPECT_EQ(Utf8Length("\xE7\xBD"), -1);          // truncated
  TextRules r{.min_chars = 1, .max_chars = 2};
  EXPECT_TRUE(ValidateText("f", "网格", r));
  EXPECT_FALSE(ValidateText("f", "网格员", r));
  EXPECT_EQ(ValidateText("f", "\x01", r).error().message, "f contains control characters");
  EXPECT_TRUE(ValidateText("f", "a\nb", {.max_chars = 10, .single_line = false}));
}

RoleDefinition Role(std::string name, std::set<std::string, std::less<>> perms) {
  return {std::move(name), "", std::move(perms)};
}

Principal With(std::vector<std::pair<RoleDefinition, std::string>> grants) {
  Principal p;
  p.user_id = 9;
  for (auto& [r, path] : grants) {
    p.grants.push_back({r.name, path, std::make_shared<RoleDefinition>(r)});
  }
  return p;
}

TEST(Access, PermissionHoldsOnlyUnderTheAssignmentNode) {
  auto worker = With({{Role("grid_worker", {"org.read", "case.read"}), "/1/2/5/"}});
  EXPECT_TRUE(Allows(worker, "org.read", "/1/2/5/"));
  EXPECT_TRUE(Allows(worker, "org.read", "/1/2/5/77/"));
  EXPECT_FALSE(Allows(worker, "org.read", "/1/2/6/"));   // sibling grid
  EXPECT_FALSE(Allows(worker, "org.read", "/1/2/"));     // parent
  EXPECT_FALSE(Allows(worker, "org.read", "/1/2/50/"));  // prefix trap
  EXPECT_FALSE(Allows(worker, "org.write", "/1/2/5/"));  // not granted
  EXPECT_FALSE(HoldsAtRoot(worker, "org.read"));
}

TEST(Access, ScopeMergesNestedAssignments) {
  auto p = With({{Role("a", {"org.read"}), "/1/2/5/"},
                 {Role("b", {"org.read"}), "/1/2/"},
                 {Role("c", {"org.read"}), "/1/3/"},
                 {Role("d", {"case.read"}), "/1/"}});
  auto s = ScopeFor(p, "org.read");
  EXPECT_EQ(s.prefixes(), (std::vector<std::string>{"/1/2/", "/1/3/"}));
  EXPECT_TRUE(s.Covers("/1/2/5/9/"));
  EXPECT_FALSE(s.Covers("/1/4/"));
  EXPECT_TRUE(ScopeFor(p, "audit.read").Empty());
  EXPECT_TRUE(HoldsAtRoot(p, "case.read"));
}

TEST(Access, AllowsIsTheScopesCoverForEveryGrantAndPath) {
  // Allows answers without building the scope; it must answer as the scope does, for nested,
  // repeated and sibling grants, prefix traps, other permissions and the system principal.
  const std::vector<std::string> paths = {"/", "/1/", "/1/2/", "/1/2/5/", "/1/2/50/", "/1/2/5/77/", "/1/3/", "/4/",
                                          "/40/", "/4/1/", ""};
  std::uint32_t seed = 7;
  auto next = [&seed] { return seed = seed * 1664525u + 1013904223u; };
  for (int round = 0; round < 400; ++round) {
    std::vector<std::pair<RoleDefinition, std::string>> grants;
    for (int g = static_cast<int>(next() % 5); g > 0; --g) {
      std::set<std::string, std::less<>> perms;
      if (next() % 2) perms.insert("org.read");
      if (next() % 2) perms.insert("case.read");
      grants.push_back({Role("r" + std::to_string(g), perms), paths[next() % (paths.size() - 1)]});
    }
    auto p = With(grants);
    p.system = next() % 17 == 0;
    for (const char* perm : {"org.read", "case.read", "audit.read"}) {
      for (const auto& path : paths) {
        EXPECT_EQ(Allows(p, perm, path), ScopeFor(p, perm).Covers(path)) << "round " << round << " " << perm << " " << path;
      }
    }
  }
}

TEST(Access, TheSystemPrincipalIsTheOperatorOnly) {
  Principal sys;
  sys.system = true;
  EXPECT_TRUE(Allows(sys, "audit.read", "/7/8/"));
  EXPECT_TRUE(HoldsAtRoot(sys, "role.write"));
  Principal nobody;
  EXPECT_FALSE(Allows(nobody, "org.read", "/1/"));
}

TEST(Access, NoDefaultRoleIsASuperuserAndNoAdminReadsPersonalData) {
  for (const auto& r : DefaultRoles()) {
    EXPECT_LT(r.permissions.size(), PermissionCatalogue().size()) << r.name;
    for (const auto& p : r.permissions) EXPECT_TRUE(IsKnownPermission(p)) << p;
    if (IsAdminRole(r.name)) {
      EXPECT_FALSE(r.permissions.contains(perm::kResidentRead)) << r.name;
      EXPECT_FALSE(r.permissions.contains(perm::kResidentUnmask)) << r.name;
      EXPECT_FALSE(r.permissions.contains(perm::kCaseRead)) << r.name;
    }
  }
  // The three duties are held by three different roles.
  auto holders = [](std::string_view p) {
    std::vector<std::string> out;
    for (const auto& r : DefaultRoles()) if (r.permissions.contains(p)) out.push_back(r.name);
    return out;
  };
  EXPECT_EQ(holders(perm::kAuditRead), std::vector<std::string>{"audit_admin"});
  EXPECT_EQ(holders(perm::kUserWrite), std::vector<std::string>{"system_admin"});
  EXPECT_EQ(holders(perm::kRoleAssign), std::vector<std::string>{"security_admin"});
}

TEST(AuthRules, LengthFirstPolicy) {
  auto m = PasswordPolicyMode::kLengthFirst;
  EXPECT_TRUE(CheckPasswordStrength(m, "correct horse battery", "bob"));
  EXPECT_EQ(CheckPasswordStrength(m, "short", "bob").error().field, "password");
  EXPECT_FALSE(CheckPasswordStrength(m, "bobbobbobbob", "bobbobbobbob"));
  EXPECT_FALSE(PasswordExpired(m, 0, 1000LL * 24 * 3600 * 1000));
}

TEST(AuthRules, Mlps2PolicyNeedsThreeClassesAndExpires) {
  auto m = PasswordPolicyMode::kMlps2;
  EXPECT_TRUE(CheckPasswordStrength(m, "Abcdef12", "bob"));
  EXPECT_FALSE(CheckPasswordStrength(m, "abcdefgh12", "bob"));  // two classes
  EXPECT_FALSE(CheckPasswordStrength(m, "Ab1!", "bob"));        // too short
  Millis day = 24LL * 3600 * 1000;
  EXPECT_FALSE(PasswordExpired(m, 0, 89 * day));
  EXPECT_TRUE(PasswordExpired(m, 0, 91 * day));
}

TEST(AuthRules, FiveFailuresLockForFifteenMinutes) {
  SecurityPolicy p;
  LoginCounter c;
  Millis t = 1'000'000;
  for (int i = 0; i < 4; ++i) c = AfterFailedLogin(c, p, t);
  EXPECT_FALSE(IsLocked(c, t));
  c = AfterFailedLogin(c, p, t);
  EXPECT_TRUE(IsLocked(c, t));
  EXPECT_TRUE(IsLocked(c, t + 15 * 60 * 1000 - 1));
  EXPECT_FALSE(IsLocked(c, t + 15 * 60 * 1000));
  // After the lock expires the count starts again.
  c = AfterFailedLogin(c, p, t + 16 * 60 * 1000);
  EXPECT_EQ(c.failed, 1);
}

TEST(AuthRules, SessionsEndWhenIdleOrTooOld) {
  SecurityPolicy p;  // 30 min idle, 12 h absolute
  Millis min = 60 * 1000;
  EXPECT_TRUE(SessionAlive(0, 0, 29 * min, p));
  EXPECT_FALSE(SessionAlive(0, 0, 30 * min, p));
  EXPECT_TRUE(SessionAlive(0, 11 * 60 * min, 11 * 60 * min + min, p));
  EXPECT_FALSE(SessionAlive(0, 12 * 60 * min - min, 12 * 60 * min, p));
}

std::vector<AuditEntry> Chain(int n) {
  std::vector<AuditEntry> out;
  std::string prev = kAuditGenesisHash;
  for (int i = 1; i <= n; ++i) {
    AuditEntry e;
    e.seq = i;
    e.at = 1000 + i;
    e.action = "org.create";
    e.detail = "{\"i\":" + std::to_string(i) + "}";
    e.prev_hash = prev;
    e.hash = ComputeAuditHash(e);
    prev = e.hash;
    out.push_back(e);
  }
  return out;
}

TEST(AuditChain, IntactChainVerifies) {
  auto c = Chain(5);
  std::string prev = kAuditGenesisHash;
  std::int64_t seq = 1;
  EXPECT_FALSE(VerifyAuditRun(c, prev, seq));
  EXPECT_EQ(seq, 6);
}

TEST(AuditChain, FindsTheFirstAlteredRemovedOrReorderedEntry) {
  {
    auto c = Chain(5);
    c[2].detail = "{\"i\":99}";
    std::string prev = kAuditGenesisHash;
    std::int64_t seq = 1;
    auto b = VerifyAuditRun(c, prev, seq);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->seq, 3);
  }
  {
    auto c = Chain(5);
    c.erase(c.begin() + 1);
    std::string prev = kAuditGenesisHash;
    std::int64_t seq = 1;
    auto b = VerifyAuditRun(c, prev, seq);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->seq, 2);
  }
  {
    auto c = Chain(5);
    // Rewriting an entry and recomputing its hash still breaks the next link.
    c[1].actor_name = "someone else";
    c[1].hash = ComputeAuditHash(c[1]);
    std::string prev = kAuditGenesisHash;
    std::int64_t seq = 1;
    auto b = VerifyAuditRun(c, prev, seq);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->seq, 3);
  }
}

TEST(AuditChain, FieldsCannotBeShiftedIntoEachOther) {
  AuditEntry a, b;
  a.action = "ab";
  a.outcome = "c";
  b.action = "a";
  b.outcome = "bc";
  EXPECT_NE(ComputeAuditHash(a), ComputeAuditHash(b));
}

TEST(SqlHelpers, PrefixRangeCoversExactlyTheSubtree) {
  auto [lo, hi] = storage::PrefixRange("/1/5/");
  EXPECT_EQ(lo, "/1/5/");
  EXPECT_EQ(hi, "/1/50");
  for (std::string in : {"/1/5/", "/1/5/9/", "/1/5/99999/1/"}) EXPECT_TRUE(in >= lo && in < hi) << in;
  for (std::string out : {"/1/50/", "/1/4/", "/1/6/", "/1/"}) EXPECT_FALSE(out >= lo && out < hi) << out;
}

}  // namespace
}  // namespace linli::domain

// Tracking codes are read out over the phone and guessed at by nobody: each character must be
// equally likely, also for an alphabet whose size does not divide 256 (a byte taken modulo 31
// would make the first 8 characters 12 % likelier than the rest).
TEST(Crypto, RandomCodesDrawEveryCharacterOfTheAlphabetEquallyOften) {
  const std::string alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXY";  // 31 characters
  ASSERT_EQ(alphabet.size(), 31u);
  constexpr int kCodes = 20000, kLength = 10;
  std::map<char, int> seen;
  std::set<std::string> codes;
  for (int i = 0; i < kCodes; ++i) {
    auto code = linli::crypto::RandomCode(kLength, alphabet);
    ASSERT_EQ(code.size(), static_cast<std::size_t>(kLength));
    for (char c : code) ++seen[c];
    codes.insert(code);
  }
  EXPECT_EQ(codes.size(), static_cast<std::size_t>(kCodes)) << "31^10 codes: no repeats in 20,000";
  ASSERT_EQ(seen.size(), alphabet.size()) << "only and every character of the alphabet";
  for (const auto& [c, n] : seen) EXPECT_NE(alphabet.find(c), std::string::npos) << c;
  // Chi-square with 30 degrees of freedom: 80 is exceeded by chance a few times in a million runs;
  // the modulo bias above gives ~560.
  const double expected = double(kCodes) * kLength / alphabet.size();
  double chi2 = 0;
  for (const auto& [c, n] : seen) chi2 += (n - expected) * (n - expected) / expected;
  EXPECT_LT(chi2, 80.0);
  EXPECT_EQ(linli::crypto::RandomCode(5, "A"), "AAAAA");
  EXPECT_EQ(linli::crypto::RandomCode(0, alphabet), "");
  EXPECT_EQ(linli::crypto::RandomCode(4, ""), "");
}

TEST(PositionIndex, FindsTheFirstPositionOfAKeyAndAsksTheCallerOnEveryHashMatch) {
  // Keys kept by the caller, as an import's rows keep their addresses.
  std::vector<std::string> keys;
  linli::PositionIndex index(4);
  auto add = [&](const std::string& key, std::uint64_t hash) {
    auto found = index.FindOrAdd(hash, keys.size(), [&](std::uint64_t p) { return keys[p] == key; });
    if (!found) keys.push_back(key);
    return found;
  };
  EXPECT_EQ(add("a", 7), std::nullopt);
  EXPECT_EQ(add("b", 7), std::nullopt) << "the same hash, another key: the caller said so";
  EXPECT_EQ(add("a", 7), std::optional<std::uint64_t>(0));
  EXPECT_EQ(add("b", 7), std::optional<std::uint64_t>(1));
  EXPECT_EQ(add("c", ~std::uint64_t{0}), std::nullopt) << "the hash that marks a free slot is a hash like any";
  EXPECT_EQ(add("c", ~std::uint64_t{0}), std::optional<std::uint64_t>(2));
  // Grown far past its first size, every key is still found at its first position.
  for (int i = 0; i < 100'000; ++i) add("k" + std::to_string(i), linli::HashPart(0, "k" + std::to_string(i)));
  EXPECT_EQ(index.size(), 100'003u);
  for (int i = 0; i < 100'000; i += 997) {
    auto key = "k" + std::to_string(i);
    EXPECT_EQ(index.Find(linli::HashPart(0, key), [&](std::uint64_t p) { return keys[p] == key; }),
              std::optional<std::uint64_t>(3 + i));
  }
  EXPECT_EQ(index.Find(linli::HashPart(0, "k100000"), [](std::uint64_t) { return true; }), std::nullopt);
  // Parts are told apart: ("ab", "c") is not ("a", "bc").
  EXPECT_NE(linli::HashPart(linli::HashPart(0, "ab"), "c"), linli::HashPart(linli::HashPart(0, "a"), "bc"));
  EXPECT_NE(linli::HashPart(0, ""), linli::HashPart(0, std::string_view("\0", 1)));

  linli::StringSet set;
  set.insert("3f2a");
  set.insert("3f2a");
  set.insert("77c0");
  EXPECT_EQ(set.size(), 2u);
  EXPECT_TRUE(set.contains("77c0"));
  EXPECT_FALSE(set.contains("77c1"));
}

TEST(ParallelFor, EveryItemOnceInChunksAndAFailureComesBack) {
  std::vector<std::atomic<int>> seen(100'003);
  std::atomic<int> calls = 0;
  linli::ParallelFor(seen.size(), [&](std::size_t begin, std::size_t end) {
    ++calls;
    for (std::size_t i = begin; i < end; ++i) ++seen[i];
  }, 1024);
  EXPECT_TRUE(std::ranges::all_of(seen, [](const auto& n) { return n == 1; }));
  EXPECT_GT(calls.load(), 1) << "handed out a chunk at a time";
  EXPECT_THROW(linli::ParallelFor(50'000, [](std::size_t begin, std::size_t) {
    if (begin >= 20'000) throw std::runtime_error("row failed");
  }, 1024), std::runtime_error);
}

