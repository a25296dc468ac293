// Resident requests and grid events (诉求 / 网格事件): intake from every channel, the workflow of
// domain/case_workflow.h with each transition stored as an event in the same transaction as the
// case's new state and its counts, deadlines on the working-hours calendar, the resident's view by
// tracking code, and rating.
//
// Who acts: an action needs its permission (domain::PermissionFor) at the node that handles the
// case at its current level (domain::HandlingNodeIndex): a grid worker acts on a grid-level case of
// their grid; once it is escalated to the community only community staff can. Everyone with
// case.read over the case's node sees it.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/blob_store.h"
#include "core/field_crypto.h"
#include "core/rate_limiter.h"
#include "domain/case_categories.h"
#include "domain/case_workflow.h"
#include "domain/geo.h"
#include "domain/work_calendar.h"
#include "service/access_epoch.h"
#include "service/audit_service.h"
#include "service/caller.h"
#include "service/change_feed.h"
#include "service/geo_service.h"
#include "service/notification_service.h"
#include "service/org_node_cache.h"
#include "storage/case_repo.h"
#include "storage/database.h"

namespace linli::service {

// Where a case came from. Resident channels have no account behind them.
namespace channel {
inline constexpr std::string_view kResidentWeb = "resident_web";    // the H5 form
inline constexpr std::string_view kQrCode = "qr_code";              // the form opened from a grid's or station's QR code
inline constexpr std::string_view kOpen311 = "open311";             // GeoReport v2 clients
inline constexpr std::string_view kMicroGridClue = "micro_grid_clue";
inline constexpr std::string_view kPatrol = "patrol";               // a grid worker's daily round (一天一巡)
inline constexpr std::string_view kVisit = "visit";                 // found at a door-to-door visit
inline constexpr std::string_view kHotline = "hotline";             // a call taken by staff
inline constexpr std::string_view kMeeting = "meeting";             // 逢四说事, 板凳会
}  // namespace channel

// Who is asking on the public endpoints: the IP address, and the device id the resident H5 keeps
// in the phone's storage (X-Device-Id; ignored unless 8–64 of A–Z a–z 0–9 - _). Each device is
// limited to the public rate; an IP address with devices behind it (a campus, a NAT) to four times
// that; requests without a device id count against their IP address at the public rate.
std::string PublicClient(std::string_view ip, std::string_view device_id);

// The address a grid's QR code opens: the resident form (web/ H5) with the grid prefilled.
std::string ResidentFormUrl(std::string_view base_url, std::string_view node_code);
// The address a building's QR code opens: the grid worker's H5 page of that building.
std::string BuildingPageUrl(std::string_view base_url, std::string_view building_code);

bool IsResidentChannel(std::string_view c);
bool IsStaffChannel(std::string_view c);

struct CaseIntake {
  std::string channel;
  std::string category_code;
  std::string description;
  std::string priority = "normal";  // normal or urgent (a quarter of the deadlines)
  std::optional<domain::LonLat> point;
  std::string address;
  std::int64_t building_id = 0;
  std::int64_t node_id = 0;  // the node staff report at
  std::string node_code;     // a QR code's grid or station (its org code)
  std::vector<std::pair<std::string, std::string>> attributes;
  std::string reporter_name, reporter_phone;
  std::string source_key;  // an idempotency key: the same key returns the case already made
  std::vector<std::string> media_urls;  // photos hosted by the reporting client (Open311 media_url)
};

struct CaseView {
  storage::CaseRow row;
  std::string category_name;
  std::string reporter_name, reporter_phone;  // phone masked unless revealed; both empty in lists
  std::vector<std::string> actions;           // what this caller may do now
};

struct CaseDetail {
  CaseView view;
  std::vector<storage::CaseEventRow> events;
  std::map<std::int64_t, std::string> actor_names;  // staff who acted, by user id: their display names
  std::vector<storage::AttachmentRow> attachments;
};

// A photo or file to attach: the bytes as uploaded, the name the client gave (shown, never trusted).
struct Upload {
  std::string bytes;
  std::string file_name;
  bool is_public = false;  // staff: the resident may see it (a photo of the work done)
};

// An attachment's bytes for download: the original for staff, without location for the resident.
struct AttachmentContent {
  storage::AttachmentRow row;
  std::string bytes;
};

inline constexpr std::size_t kMaxAttachmentBytes = 10 << 20;
inline constexpr int kMaxPublicAttachments = 6;  // per case, from residents

struct CaseActionRequest {
  domain::CaseAction action = domain::CaseAction::kAccept;
  domain::CaseActionInput input;
  std::int64_t version = 0;  // 0: whatever the case is now
};

// What a resident sees by tracking code: no names, no phones, no internal notes.
struct PublicCase {
  std::string tracking_code;
  std::string state;
  std::string category_code, category_name;
  std::string description;
  std::string address;
  Millis created_at = 0;
  Millis resolve_due_at = 0;
  int rating = 0;
  bool may_rate = false;
  std::optional<double> lon, lat;
  Millis updated_at = 0;
  Millis closed_at = 0;  // 0 while open (rejected cases are closed too)
  std::string level, department;
  std::string status_notes;  // the latest note the resident may read
  bool merged = false;       // rejected as a repeat: the state and later steps are the original's
  struct Step {
    Millis at = 0;
    std::string action;
    std::string state;
    std::string note;  // only the resolution and the rejection reach the resident
  };
  std::vector<Step> timeline;
  std::vector<storage::AttachmentRow> attachments;  // the public ones
};

struct CaseFilter {
  std::optional<std::int64_t> node_id;
  std::vector<std::string> states;
  std::optional<std::string> level, category_code, channel;
  std::vector<std::string> category_codes;  // any of (Open311 service_code=a,b)
  Millis created_from = 0, created_to = 0;    // reported in [from, to); 0: unbounded
  std::optional<std::int64_t> assignee_id;
  bool mine = false;  // assigned to the caller
  bool open_only = false, overdue_only = false, supervised_only = false;
  std::string text;  // words in the description, address or notes (any script; 1 to 50 characters)
  std::int64_t after_id = 0;
  int limit = 50;
};

class CaseService {
 public:
  CaseService(storage::Database& db, const Clock& clock, AuditService& audit,
              std::shared_ptr<const crypto::FieldCrypto> crypto, GeoService& geo, NotificationService& notifications,
              ChangeFeed& changes, AccessEpoch& epoch, std::string attachments_dir, int public_requests_per_minute = 30)
      : db_(db), clock_(clock), audit_(audit), crypto_(std::move(crypto)), geo_(geo), notifications_(notifications),
        changes_(changes), blobs_(std::move(attachments_dir)), nodes_(epoch), nodes_by_code_(epoch, kCacheLifetime, kCacheEntries),
        handlers_at_(epoch, kCacheLifetime, kCacheEntries),
        public_limiter_(public_requests_per_minute, 60000), shared_ip_limiter_(4 * public_requests_per_minute, 60000) {}

  // Start-up: the months of case events ahead (EnsureEventPartitions); seeds the default
  // categories into an empty catalogue and loads it.
  Status Prepare();
  // PostgreSQL: the monthly partitions of case events for this month and the next three
  // (storage::CaseRepo::EnsureEventPartitions); `serve` runs it hourly. How many it made.
  Result<int> EnsureEventPartitions();

  // --- categories ---
  std::vector<domain::CategoryDefinition> Categories(bool include_retired = false) const;
  // Every definition, retired ones too, without a copy; a new pointer whenever the catalogue changes.
  std::shared_ptr<const std::vector<domain::CategoryDefinition>> AllCategories() const;
  std::optional<domain::CategoryDefinition> Category(std::string_view code) const;
  // Adds or replaces a definition; needs case.supervise at a root (the subdistrict sets the catalogue).
  void SaveCategory(const Caller& who, domain::CategoryDefinition def, Done<domain::CategoryDefinition> done);
  void RetireCategory(const Caller& who, std::string code, Done<domain::CategoryDefinition> done);

  // --- intake ---
  // Staff intake: needs case.report at the case's node.
  void Report(const Caller& who, CaseIntake in, Done<CaseView> done);
  // A resident without an account; `client` (the IP address) is rate limited.
  void ReportPublic(CaseIntake in, const std::string& client, Done<CaseView> done);
  // An Open311 client reporting for a resident, signed with an API key whose user holds
  // case.report where the case lies; placed like a resident's report.
  void ReportFromClient(const Caller& client, CaseIntake in, Done<CaseView> done);

  // --- staff ---
  Result<CaseDetail> Get(const Caller& who, std::int64_t id);
  Result<std::vector<CaseView>> List(const Caller& who, const CaseFilter& f);
  void Act(const Caller& who, std::int64_t id, CaseActionRequest req, Done<CaseView> done);
  // Open cases that may be the same problem: same category, reported within 7 days before or
  // after, within 200 m (or at the same node when either has no point), with similar words,
  // in the same community and the caller's scope; the most alike first, at most 5.
  struct Similar {
    CaseView view;
    double similarity = 0;
    std::optional<double> distance_m;
  };
  Result<std::vector<Similar>> SimilarTo(const Caller& who, std::int64_t id);
  // Transitions and comments on cases the caller may read, in [from, to), oldest first (the
  // FixMyStreet servicerequestupdates feed).
  struct Update {
    storage::CaseEventRow event;
    std::string tracking_code;
  };
  Result<std::vector<Update>> Updates(const Caller& who, Millis from, Millis to, int limit);
  // A comment from outside (an Open311 client relaying the resident), kept on the timeline
  // without changing the state; returns the event id.
  void Comment(const Caller& who, std::string tracking_code, std::string note, std::string detail_json,
               Done<std::int64_t> done);
  // Inside the caller's transaction: a step on the case's timeline that changes no state (a
  // comment, a council decision), by someone who may read the case. Returns the event id.
  Result<std::int64_t> AppendStep(storage::SqlSession& s, const Caller& who, std::int64_t case_id, std::string action,
                                  std::string note, std::string detail_json);
  // The reporter's name and phone in the clear; needs resident.unmask and a reason, audited first.
  Result<CaseView> Unmask(const Caller& who, std::int64_t id, const std::string& reason);

  // --- the resident, by tracking code ---
  Result<PublicCase> Track(std::string_view tracking_code, const std::string& client);
  // The same view for a signed-in client (an Open311 API key) that may read the case; not rate limited.
  Result<PublicCase> TrackAs(const Caller& who, std::string_view tracking_code);
  // The codes of the root nodes: the Open311 jurisdiction_id values this server answers for.
  std::vector<std::string> Jurisdictions();
  void Rate(std::string tracking_code, int rating, std::string comment, const std::string& client,
            Done<PublicCase> done);

  // --- attachments (bytes in the blob store, a row and a timeline event in the database) ---
  // Staff with case.report or case.handle over the case.
  void Attach(const Caller& who, std::int64_t case_id, Upload upload, Done<storage::AttachmentRow> done);
  // The resident, by tracking code, while the case is open; rate limited per client.
  void AttachPublic(std::string tracking_code, Upload upload, const std::string& client,
                    Done<storage::AttachmentRow> done);
  Result<AttachmentContent> AttachmentFor(const Caller& who, std::int64_t attachment_id);
  Result<AttachmentContent> PublicAttachment(std::string_view tracking_code, std::int64_t attachment_id,
                                             const std::string& client);

  // --- deadlines ---
  // Marks every case whose deadline passed by `now` overdue (escalating it when its category says
  // so, and closing resolved cases nobody rated within the rating window). Returns how many.
  Result<int> ProcessDeadlines(Millis now, int batch = 200);
  // The next instant ProcessDeadlines has work; 0 when nothing is watched.
  Result<Millis> NextDeadline();

  // The working-time calendar deadlines are counted on. Holidays and 调休 workdays are set by the
  // subdistrict (case.supervise at the root) from the State Council's yearly notice; new
  // deadlines use the new calendar, deadlines already set stay.
  std::shared_ptr<const domain::WorkCalendar> Calendar() const;
  void SaveCalendar(const Caller& who, domain::WorkCalendar calendar, Done<domain::WorkCalendar> done);
  Millis Now() const { return clock_.NowMillis(); }

 private:
  struct Catalogue {
    std::vector<domain::CategoryDefinition> all;
    std::vector<Millis> retired_at;  // parallel to all
  };
  std::shared_ptr<const Catalogue> catalogue() const;
  Status LoadCatalogue(storage::SqlSession& s);
  // `attempts` > 1 makes the report again with a fresh tracking code if the drawn one is taken.
  void Intake(const Caller& who, CaseIntake in, bool anonymous, Done<CaseView> done, int attempts = 2);
  // The node a QR code names, and who handles cases at a node (case.handle held exactly there):
  // every report needs both, and neither changes without the access epoch moving.
  Result<std::optional<domain::OrgNode>> NodeByCode(storage::SqlSession& s, const std::string& code) const;
  Result<std::vector<std::int64_t>> HandlersAt(storage::SqlSession& s, std::int64_t node_id) const;
  // Lists carry no reporter at all; a detail carries the name and the masked phone; an unmask both in the clear.
  enum class Reporter { kOmit, kMasked, kRevealed };
  Result<CaseView> View(storage::SqlSession& s, const Caller& who, storage::CaseRow row, Reporter reporter) const;
  Result<std::vector<domain::NodeType>> Chain(storage::SqlSession& s, std::string_view path) const;
  // Applies one transition inside the caller's transaction: the projection, the event, the counts.
  Result<storage::CaseRow> Transition(storage::SqlSession& s, const storage::CaseRow& before, storage::CaseRow after,
                                      storage::CaseEventRow event);
  Result<PublicCase> PublicView(storage::SqlSession& s, const storage::CaseRow& row) const;
  void StoreAttachment(const Caller& who, std::optional<std::int64_t> case_id, std::string tracking_code, Upload upload,
                       Done<storage::AttachmentRow> done);
  // Tells the people concerned about a report or a transition (inbox and webhooks), in its transaction.
  Status Announce(storage::SqlSession& s, const storage::CaseRow& c, const storage::CaseEventRow& event);

  storage::Database& db_;
  const Clock& clock_;
  AuditService& audit_;
  std::shared_ptr<const crypto::FieldCrypto> crypto_;
  GeoService& geo_;
  NotificationService& notifications_;
  ChangeFeed& changes_;
  BlobStore blobs_;
  static constexpr Millis kCacheLifetime = 2000;
  static constexpr std::size_t kCacheEntries = 200000;
  // The nodes a report names (a grid worker's node_id, a point's or a building's grid) and a
  // list's node: on the writer, a read of its own would cost PostgreSQL's pipeline a round trip
  // per report.
  mutable OrgNodeCache nodes_;
  mutable EpochCache<std::string, domain::OrgNode> nodes_by_code_;
  mutable EpochCache<std::int64_t, std::vector<std::int64_t>> handlers_at_;
  mutable std::mutex node_types_mu_;
  mutable std::unordered_map<std::int64_t, domain::NodeType> node_types_;  // GUARDED_BY(node_types_mu_)
  mutable std::mutex calendar_mu_;
  std::shared_ptr<const domain::WorkCalendar> calendar_ = std::make_shared<domain::WorkCalendar>();  // GUARDED_BY(calendar_mu_)
  // Whether a public request from `client` (PublicClient) may go ahead; `what` keeps reports,
  // look-ups, uploads and ratings apart.
  Status AllowPublic(std::string_view what, const std::string& client);
  RateLimiter public_limiter_;     // per device, or per IP address without one
  RateLimiter shared_ip_limiter_;  // per IP address with devices behind it
  mutable std::mutex catalogue_mu_;
  std::shared_ptr<const Catalogue> catalogue_;  // GUARDED_BY(catalogue_mu_)
};

// The rating window: a resolved case nobody rated closes as unrated after 7 days.
inline constexpr Millis kRatingWindow = 7LL * 86400000;
// The working minutes a deadline of `minutes` gives a case of `priority` (urgent: a quarter).
std::int64_t CaseDeadlineMinutes(int minutes, std::string_view priority);
// The next instant the deadline scheduler must look at a case (0: none), from its current facts.
Millis CaseNextDue(const storage::CaseRow& c);

// A category as a JSON document (stored in case_categories.definition and served by the API), and
// back; parse errors name the field.
std::string CategoryToJson(const domain::CategoryDefinition& c);
// The calendar as stored and served: {"sessions":[["08:30","12:00"],…],"holidays":["2026-10-01",…],"workdays":[…]}.
std::string CalendarToJson(const domain::WorkCalendar& c);
Result<domain::WorkCalendar> CalendarFromJson(std::string_view json);
Result<domain::CategoryDefinition> CategoryFromJson(std::string_view json);

}  // namespace linli::service
