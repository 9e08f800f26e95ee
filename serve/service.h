// The routes of `keyward serve` and the state they share: one Authenticator per worker thread
// (each its own SQLite connection: the store serializes verification per connection, so one
// shared facade would verify one login at a time), browser sessions and pending ceremonies (in
// the store, shared by every node), rate limits, metrics and the request log (per process).
//
// Faces (docs/serve.md): the browser session API /api/* and static files (docs/serve-browser-
// api.md), the FIDO2 conformance API (/attestation/*, /assertion/*, conformance mode only), the
// integration API /v1/* (API keys or mTLS), and operations (/healthz, /readyz, /metrics).
#ifndef KEYWARD_SERVE_SERVICE_H_
#define KEYWARD_SERVE_SERVICE_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/json.h"
#include "keyward/authenticator.h"
#include "keyward/result.h"
#include "serve/config.h"
#include "serve/http_types.h"
#include "serve/metrics.h"
#include "serve/net_util.h"
#include "serve/rate_limiter.h"

namespace keyward::attestation {
class TrustStore;
class MetadataBlob;
class MdsRefresher;
}  // namespace keyward::attestation
namespace keyward::authenticator {
class WebStateStore;
}  // namespace keyward::authenticator

namespace keyward::serve {

class ApiKeys;

class Service {
 public:
  // Opens `workers` authenticators on the configured store (and trust sources).
  static Result<std::unique_ptr<Service>> Create(const ServeConfig& config, size_t workers);
  ~Service();

  void Handle(HttpRequest& req, HttpResponse& resp);
  // An HTTP-layer refusal (413, 431, 408, 400 malformed) rendered like every other error.
  void HandleTransportError(int status, std::string_view code, HttpRequest& req,
                            HttpResponse& resp);

  // Every (method, path) the router serves; for the OpenAPI check.
  std::vector<std::pair<std::string, std::string>> Routes() const;
  const ServeConfig& config() const { return config_; }
  // Gauges for /metrics from outside (open connections).
  void SetGaugeSource(std::function<std::map<std::string, double>()> f) { gauges_ = std::move(f); }

  std::map<std::string, double> Gauges() const {
    return gauges_ ? gauges_() : std::map<std::string, double>{};
  }
  // Background MDS refresh ("mds_refresh": true; one refresher shared by every worker's
  // authenticator): an attempt now (SIGHUP), and its keyward_mds_* metrics ("" when off).
  void RefreshMetadataNow();
  std::string MetadataMetricsText() const;

  using RouteHandler = std::function<void(Service&, HttpRequest&, HttpResponse&)>;

  // ---- shared with the route files (serve/*_api.cc) ----
  authenticator::Authenticator& Auth(const HttpRequest& req) { return *auths_[req.worker]; }
  // The worker's connection for browser sessions and pending ceremonies
  // (authenticator/web_state.h).
  authenticator::WebStateStore& WebStates(const HttpRequest& req) {
    return *web_states_[req.worker];
  }
  Metrics& metrics() { return metrics_; }
  TokenBuckets& ip_buckets() { return ip_buckets_; }
  FailureBackoff& login_backoff() { return login_backoff_; }
  const ApiKeys* api_keys() const { return api_keys_.get(); }
  // allowCredentials for a username that has no account: one or two credential ids derived from
  // the decoy key and the lower-cased name, so the same name gets the same list every time, on
  // every node, as a real account's list is.
  Json DecoyAllowCredentials(std::string_view username) const;

  struct Route {
    std::string method;
    std::string path;
    RouteHandler handler;
    bool state_changing_browser = false;  // POST /api/*: Origin + Content-Type checks
  };
  void AddRoute(Route r);

  // Browser state (docs/serve-browser-api.md). Sessions and pending page ceremonies live in the
  // store (WebStateStore: kinds "session" by cookie value, "ceremony" by ceremony id,
  // "signup" by principal id), so every node on a shared store sees them and a restart keeps
  // them; the store holds only hashes of the cookie values and ceremony ids.
  struct BrowserSession {
    authenticator::Session auth;
    int64_t created = 0;    // Unix seconds
    int64_t last_seen = 0;  // Unix seconds (written back at most once a minute)
  };
  struct PendingCeremony {
    std::string type;         // "signup" | "add" | "login" | "stepup"
    std::string session_key;  // bound session: hex SHA-256 of its cookie ("" for signup/login)
    std::string principal_id;
    std::string account_key;  // rate-limit key of the account (login with a username)
    std::string action;       // step-up action
    bool decoy = false;       // a sign-up for a taken name: verified, then refused
  };
  std::mutex browser_mu;
  // Deletes expired sessions and ceremonies from the store (at most every 30 s per process) and
  // erases the principals of abandoned sign-ups.
  void SweepBrowserState(authenticator::Authenticator& auth, authenticator::WebStateStore& web,
                         double now);
  double last_sweep = 0;

  // Conformance mode: registration options the tools asked for, by ceremony id.
  std::mutex conformance_mu;
  std::map<std::string, double> conformance_ceremonies;

 private:
  friend Result<void> LoadConformanceMetadata(Service& s);
  explicit Service(ServeConfig config);
  Result<void> LoadDecoyKey();
  void SecurityHeaders(const HttpRequest& req, HttpResponse& resp) const;
  void Log(const HttpRequest& req, const HttpResponse& resp, double seconds);

  ServeConfig config_;
  std::vector<std::unique_ptr<authenticator::Authenticator>> auths_;
  std::vector<std::unique_ptr<authenticator::WebStateStore>> web_states_;
  std::unique_ptr<attestation::TrustStore> trust_;
  std::vector<std::unique_ptr<attestation::MetadataBlob>> metadata_;
  std::shared_ptr<attestation::MdsRefresher> mds_refresher_;  // null without mds_refresh
  std::unique_ptr<ApiKeys> api_keys_;
  std::map<std::string, std::map<std::string, Route>> routes_;  // path → method → route
  Metrics metrics_;
  TokenBuckets ip_buckets_;
  FailureBackoff login_backoff_;
  // One for every node on the store (web state "decoy_key"): a per-process key would give two
  // nodes different lists for one unknown name, while a real account's list is the same
  // everywhere — an account-existence oracle behind a load balancer.
  std::vector<uint8_t> decoy_key_;
  std::function<std::map<std::string, double>()> gauges_;
  std::mutex log_mu_;
  FILE* log_ = stderr;
  bool own_log_ = false;
};

// Conformance mode: verifies the configured metadata BLOBs and adds them as trust sources.
Result<void> LoadConformanceMetadata(Service& s);
// What `--check-config` verifies beyond the config's shape, with the code start would fail
// with: the conformance metadata BLOBs (signature, chain to conformance_mds_root).
Result<void> CheckConfigFiles(const ServeConfig& config);

// Route registration, one function per face (serve/browser_api.cc, ...).
void AddBrowserRoutes(Service& s);
void AddStaticRoutes(Service& s);
void AddOperationsRoutes(Service& s);
void AddConformanceRoutes(Service& s);
void AddIntegrationRoutes(Service& s);
// The OpenAPI 3 document of /v1 (served at /v1/openapi.json).
std::string IntegrationOpenApi();
// Serves a file under web_root for GET/HEAD paths no route matched; false: none.
bool ServeStatic(const ServeConfig& config, const HttpRequest& req, HttpResponse& resp);

// ---- answers ----
// {"status":"failed","errorCode":code,"errorMessage":message, ...extra}
void SendError(HttpResponse& resp, int status, std::string_view code, std::string_view message,
               const std::string& extra_members_json = "");
void SendError(HttpResponse& resp, const Error& error);  // status from the code
int StatusFor(ErrorCode code);
void SendJson(HttpResponse& resp, int status, const std::string& json);

}  // namespace keyward::serve

#endif  // KEYWARD_SERVE_SERVICE_H_
