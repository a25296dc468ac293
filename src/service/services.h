// Every service of Linli over one database, built once per process by server/runtime.cc and used
// by the HTTP API and the CLI alike.
#pragma once

#include <memory>

#include "core/clock.h"
#include "core/worker_pool.h"
#include "service/account_service.h"
#include "service/audit_service.h"
#include "service/auth_service.h"
#include "service/case_service.h"
#include "service/cockpit_service.h"
#include "service/council_service.h"
#include "service/deadline_scheduler.h"
#include "service/fieldwork_service.h"
#include "service/geo_service.h"
#include "service/import_service.h"
#include "service/notification_service.h"
#include "service/org_service.h"
#include "service/registry_service.h"
#include "service/ticker.h"
#include "service/restructure_service.h"
#include "storage/database.h"

namespace linli::service {

struct ServicesOptions {
  domain::SecurityPolicy policy;
  int login_attempts_per_minute_per_ip = 20;
  int public_requests_per_minute_per_ip = 30;
  int cpu_threads = 2;
  std::shared_ptr<const crypto::FieldCrypto> field_crypto;  // from the key file
  HttpPoster http_poster;  // outbound webhooks (http/outbound_http.h); none: deliveries wait
  std::string attachments_dir = "./linli-data/attachments";
  storage::Database* cockpit_db = nullptr;  // a read replica for the cockpit; none: the primary
};

class Services {
 public:
  Services(storage::Database& db, const Clock& clock, const ServicesOptions& options)
      : options(options), db(db), clock(clock), cpu(options.cpu_threads), policy(options.policy), audit(db, clock),
        auth(db, clock, audit, policy, cpu, epoch, options.login_attempts_per_minute_per_ip),
        org(db, clock, audit, epoch), accounts(db, clock, audit, policy, cpu, epoch), geo(db, clock, audit),
        registry(db, clock, audit, options.field_crypto, geo), imports(db, clock, audit, registry, epoch),
        fieldwork(db, clock, audit, registry, geo), restructure(db, clock, audit, geo, epoch),
        notifications(db, clock, audit, options.field_crypto),
        cases(db, clock, audit, options.field_crypto, geo, notifications, changes, epoch, options.attachments_dir,
              options.public_requests_per_minute_per_ip),
        council(db, clock, audit, cases),
        cockpit(options.cockpit_db ? *options.cockpit_db : db, clock, cases, epoch),
        deadlines(cases, clock),
        address_keys("address-keys", std::chrono::seconds(1), [this] { return registry.FillAddressKeys(); }),
        event_partitions("case-event-partitions", std::chrono::hours(1), [this] { return cases.EnsureEventPartitions(); }),
        webhooks(notifications, options.http_poster ? options.http_poster : [](const OutboundRequest&) {
          return OutboundResponse{0, "no HTTP client in this process"};
        }) {}

  // Start-up work: default roles, the saved security policy.
  Status Prepare() {
    LINLI_TRY(accounts.EnsureDefaultRoles());
    LINLI_TRY(geo.Reload());
    LINLI_TRY(notifications.Prepare());
    LINLI_TRY(cases.Prepare());
    return policy.LoadSaved(db);
  }

  const ServicesOptions options;  // kept so a sibling bundle can be made on another clock (the demo)
  storage::Database& db;
  const Clock& clock;
  WorkerPool cpu;
  AccessEpoch epoch;
  ChangeFeed changes;  // before the services that publish to it
  PolicyStore policy;
  AuditService audit;
  AuthService auth;
  OrgService org;
  AccountService accounts;
  GeoService geo;
  RegistryService registry;
  ImportService imports;
  FieldworkService fieldwork;
  RestructureService restructure;
  NotificationService notifications;
  CaseService cases;
  CouncilService council;
  CockpitService cockpit;
  DeadlineScheduler deadlines;  // started by `serve` only
  Ticker address_keys;          // started by `serve` only (RegistryService::FillAddressKeys)
  Ticker event_partitions;      // started by `serve` only (CaseService::EnsureEventPartitions)
  WebhookDispatcher webhooks;   // started by `serve` only
};

}  // namespace linli::service
