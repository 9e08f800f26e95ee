// Operations: liveness, readiness (the store answers) and Prometheus metrics.
#include "core/json.h"
#include "serve/service.h"

namespace keyward::serve {

void AddOperationsRoutes(Service& service) {
  service.AddRoute({"GET", "/healthz", [](Service&, HttpRequest&, HttpResponse& resp) {
                      SendJson(resp, 200, R"({"status":"ok"})");
                    }});
  service.AddRoute({"GET", "/readyz", [](Service& svc, HttpRequest& req, HttpResponse& resp) {
                      // A read through this worker's own store connection.
                      auto r = svc.Auth(req).GetPrincipal("p_readiness_probe");
                      if (!r && r.error().code != ErrorCode::kNotFound) {
                        return SendError(resp, 503, "service_unavailable",
                                         "service_unavailable: the store does not answer");
                      }
                      SendJson(resp, 200, R"({"status":"ok","store":"ok"})");
                    }});
  service.AddRoute({"GET", "/metrics", [](Service& svc, HttpRequest&, HttpResponse& resp) {
                      resp.status = 200;
                      resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
                      resp.body = svc.metrics().Render(svc.Gauges());
                      resp.body += svc.MetadataMetricsText();
                    }});
}

}  // namespace keyward::serve
