// The REST API under /api/v1 and the operational endpoints. Handlers are thin: parse, call one
// service function, render. Register*Routes functions are defined one file per resource.
#pragma once

#include <atomic>
#include <functional>
#include <initializer_list>

#include "http/json_io.h"
#include "http/router.h"
#include "service/account_service.h"
#include "service/audit_service.h"
#include "service/auth_service.h"
#include "service/case_service.h"
#include "service/change_feed.h"
#include "service/cockpit_service.h"
#include "service/council_service.h"
#include "core/worker_pool.h"
#include "service/fieldwork_service.h"
#include "service/geo_service.h"
#include "service/import_service.h"
#include "service/org_service.h"
#include "service/registry_service.h"
#include "service/restructure_service.h"
#include "storage/database.h"

namespace linli::http {

struct Api {
  storage::Database& db;
  service::AuthService& auth;
  service::OrgService& org;
  service::AccountService& accounts;
  service::AuditService& audit;
  service::RegistryService& registry;
  service::GeoService& geo;
  service::ImportService& imports;
  service::FieldworkService& fieldwork;
  service::RestructureService& restructure;
  service::CaseService& cases;
  service::NotificationService& notifications;
  service::CouncilService& council;
  service::CockpitService& cockpit;
  service::ChangeFeed& changes;  // live screens subscribe to it (api_live.cc)
  WorkerPool& cpu;  // long requests (imports, exports) run here, not on an HTTP thread
  bool secure_cookies = false;       // set when TLS is on
  std::atomic<bool>* draining = nullptr;  // readyz answers 503 while shutting down
};

// A handler either answers through `respond` (now or later) and returns Ok, or returns the error
// to answer with. So parsing reads as a list of LINLI_ASSIGN_OR_RETURN lines.
using AuthedHandler = std::function<Status(HttpRequest& req, const service::Caller& who, const Respond& respond)>;
using PlainHandler = std::function<Status(HttpRequest& req, const Respond& respond)>;
enum class WhilePasswordExpired { kRefuse, kAllow };

// Authenticates (Bearer token, API key or session cookie), checks the CSRF token of
// cookie-authenticated writes, then calls fn with the caller.
Handler Authed(Api& api, AuthedHandler fn,
               WhilePasswordExpired expired = WhilePasswordExpired::kRefuse);
// For endpoints without authentication (sign-in).
Handler Plain(PlainHandler fn);

// The fields of a resident edit, shared by PATCH /residents/{id} and a visit's recorded changes;
// `also` admits the extra fields the caller accepts (household_id, version, id).
Result<service::ResidentPatch> ParseResidentPatch(const json::object& body,
                                                  std::initializer_list<std::string_view> also);

void RegisterSystemRoutes(Router& r, Api& api);
void RegisterAuthRoutes(Router& r, Api& api);
void RegisterOrgRoutes(Router& r, Api& api);
void RegisterAccountRoutes(Router& r, Api& api);
void RegisterAuditRoutes(Router& r, Api& api);
void RegisterRegistryRoutes(Router& r, Api& api);
void RegisterImportRoutes(Router& r, Api& api);
void RegisterFieldworkRoutes(Router& r, Api& api);
void RegisterCaseRoutes(Router& r, Api& api);
void RegisterNotificationRoutes(Router& r, Api& api);
void RegisterOpen311Routes(Router& r, Api& api);
void RegisterCouncilRoutes(Router& r, Api& api);
void RegisterCockpitRoutes(Router& r, Api& api);

inline void RegisterAllRoutes(Router& r, Api& api) {
  RegisterSystemRoutes(r, api);
  RegisterAuthRoutes(r, api);
  RegisterOrgRoutes(r, api);
  RegisterAccountRoutes(r, api);
  RegisterAuditRoutes(r, api);
  RegisterRegistryRoutes(r, api);
  RegisterImportRoutes(r, api);
  RegisterFieldworkRoutes(r, api);
  RegisterCaseRoutes(r, api);
  RegisterNotificationRoutes(r, api);
  RegisterOpen311Routes(r, api);
  RegisterCouncilRoutes(r, api);
  RegisterCockpitRoutes(r, api);
}

}  // namespace linli::http
