#include "core/metrics.h"
#include "http/api.h"
#include "http/json_io.h"

namespace linli::http {

void RegisterSystemRoutes(Router& r, Api& api) {
  // Liveness: the process answers. Cheap on purpose; load balancers poll it.
  r.Add("GET", "/healthz", [](HttpRequest&, Respond respond) {
    HttpResponse resp;
    resp.body = R"({"status":"ok"})";
    respond(std::move(resp));
  });

  // Readiness: the database answers and the server is not shutting down.
  r.Add("GET", "/readyz", [&api](HttpRequest&, Respond respond) {
    if (api.draining && api.draining->load()) {
      return respond(ErrorResponse(Error::Unavailable("shutting down")));
    }
    if (!api.db.Healthy()) return respond(ErrorResponse(Error::Unavailable("the database does not answer")));
    respond(JsonResponse(200, json::object{{"status", "ready"},
                                           {"database", storage::DialectName(api.db.dialect())},
                                           {"writer_queue", api.db.QueueDepth()}}));
  });

  r.Add("GET", "/metrics", [](HttpRequest&, Respond respond) {
    HttpResponse resp;
    resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
    resp.body = metrics::Registry::Global().RenderText();
    respond(std::move(resp));
  });
}

}  // namespace linli::http
