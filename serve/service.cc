#include "serve/service.h"

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "attestation/mds_refresher.h"
#include "attestation/metadata.h"
#include "attestation/trust_store.h"
#include "authenticator/web_state.h"
#include "core/base64url.h"
#include "core/hash.h"
#include "core/json.h"
#include "serve/api_keys.h"

namespace keyward::serve {

namespace {
constexpr char kCsp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

// Unique per request, not secret: a random per-process prefix (so ids from several nodes and
// restarts do not collide) and a counter, instead of drawing random bytes for every request.
std::string NewRequestId() {
  static const std::string prefix = [] {
    auto b = RandomBytes(9);
    return b ? Base64UrlEncode(*b) : std::string("-");
  }();
  static std::atomic<uint64_t> counter{0};
  char n[24];
  std::snprintf(n, sizeof n, "%llx",
                static_cast<unsigned long long>(counter.fetch_add(1, std::memory_order_relaxed)));
  return prefix + "." + n;
}

std::string WallTime() {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

// Metric label for the method: known verbs only (a client chooses the method string).
std::string MethodLabel(const std::string& m) {
  for (const char* k : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"}) {
    if (m == k) return m;
  }
  return "other";
}
}  // namespace

int StatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
    case ErrorCode::kRouteNotFound:
      return 404;
    case ErrorCode::kPolicyDenied:
    case ErrorCode::kStepUpRequired:
    case ErrorCode::kOriginNotAllowed:
      return 403;
    case ErrorCode::kNotSignedIn:
    case ErrorCode::kApiKeyInvalid:
      return 401;
    case ErrorCode::kLastCredential:
    case ErrorCode::kAlreadyExists:
      return 409;
    case ErrorCode::kRateLimited:
      return 429;
    case ErrorCode::kRequestTooLarge:
      return 413;
    case ErrorCode::kHeadersTooLarge:
      return 431;
    case ErrorCode::kUnsupportedMediaType:
      return 415;
    case ErrorCode::kMethodNotAllowed:
      return 405;
    case ErrorCode::kRequestTimeout:
      return 408;
    case ErrorCode::kStoreIo:
    case ErrorCode::kStoreBusy:
    case ErrorCode::kStoreConflict:
    case ErrorCode::kStoreUnavailable:  // PostgreSQL restarting or unreachable: retryable
    case ErrorCode::kServiceUnavailable:
      return 503;
    case ErrorCode::kStoreCorrupt:
    case ErrorCode::kInternal:
    case ErrorCode::kSchemaVersionUnsupported:
      return 500;
    default:
      return 400;
  }
}

void SendJson(HttpResponse& resp, int status, const std::string& json) {
  resp.status = status;
  resp.content_type = "application/json";
  resp.body = json;
}

void SendError(HttpResponse& resp, int status, std::string_view code, std::string_view message,
               const std::string& extra) {
  Json j = {{"status", "failed"}, {"errorCode", code}, {"errorMessage", message}};
  std::string body = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (!extra.empty()) {
    // extra is a JSON object text; merge its members.
    auto e = ParseJson(extra);
    if (e && e->is_object()) {
      for (auto it = e->begin(); it != e->end(); ++it) j[it.key()] = it.value();
      body = j.dump(-1, ' ', false, Json::error_handler_t::replace);
    }
  }
  resp.status = status;
  resp.content_type = "application/json";
  resp.body = std::move(body);
  resp.error_code = std::string(code);
}

void SendError(HttpResponse& resp, const Error& error) {
  std::string_view name = ErrorCodeName(error.code);
  // The human text names the code too (the conformance tools show errorMessage only).
  std::string message = std::string(name);
  if (!error.detail.empty()) message += ": " + error.detail;
  SendError(resp, StatusFor(error.code), name, message);
}

Service::Service(ServeConfig config)
    : config_(std::move(config)),
      ip_buckets_(config_.limits.ip_rate, config_.limits.ip_burst),
      login_backoff_(config_.limits.login_failures_before_backoff,
                     config_.limits.backoff_base_seconds, config_.limits.backoff_max_seconds) {}

Service::~Service() {
  if (mds_refresher_) mds_refresher_->Stop();
  if (own_log_ && log_) std::fclose(log_);
}

void Service::RefreshMetadataNow() {
  if (mds_refresher_) mds_refresher_->RefreshNow();
}

std::string Service::MetadataMetricsText() const {
  return mds_refresher_ ? mds_refresher_->MetricsText() : std::string();
}

Result<std::unique_ptr<Service>> Service::Create(const ServeConfig& config, size_t workers) {
  std::unique_ptr<Service> s(new Service(config));
  if (!config.log_file.empty()) {
    s->log_ = std::fopen(config.log_file.c_str(), "a");
    if (!s->log_) return Fail(ErrorCode::kIo, "cannot open log_file " + config.log_file);
    s->own_log_ = true;
  }
  if (!config.trust_dir.empty() || !config.mds_store.empty() || !config.conformance_mds.empty()) {
    s->trust_ = std::make_unique<attestation::TrustStore>();
    if (!config.trust_dir.empty()) KW_TRY(s->trust_->AddDirectory(config.trust_dir));
    if (!config.mds_store.empty() && !config.mds_refresh) {
      KW_ASSIGN_OR_RETURN(auto blob, attestation::MetadataBlob::LoadStored(config.mds_store));
      s->metadata_.push_back(std::make_unique<attestation::MetadataBlob>(std::move(blob)));
      s->trust_->SetMetadata(s->metadata_.back().get());
    }
    KW_TRY(LoadConformanceMetadata(*s));
  }
  if (!config.api_keys_file.empty()) {
    KW_ASSIGN_OR_RETURN(auto keys, ApiKeys::Load(config.api_keys_file));
    s->api_keys_ = std::make_unique<ApiKeys>(std::move(keys));
  }
  if (config.mds_refresh) {
    // One refresher for the process; every worker's facade reads its current copy (an atomic
    // shared_ptr load, no mutex), so a refresh reaches all workers at once.
    attestation::MdsRefresher::Options o;
    o.fetch.url = config.mds_url.empty() ? attestation::kDefaultMdsUrl : config.mds_url;
    o.fetch.store_path = config.mds_store;
    o.fetch.http.tls_ca_file = config.mds_tls_ca;
    if (!config.mds_root.empty()) {
      attestation::TrustStore roots;
      KW_TRY(roots.AddFile(config.mds_root));
      o.fetch.roots = roots.AnchorsFor("", attestation::Aaguid{});
    }
    KW_ASSIGN_OR_RETURN(auto refresher, attestation::MdsRefresher::Start(std::move(o)));
    s->mds_refresher_ = std::move(refresher);
  }
  authenticator::AuthenticatorConfig ac;
  ac.db_path = config.store_path;
  ac.store_url = config.store_url;
  ac.rp_id = config.rp_id;
  ac.rp_name = config.rp_name;
  ac.origins = config.origins;
  ac.policy = config.policy;
  ac.attestation_trust = s->trust_.get();
  ac.store_relaxed_durability = config.relaxed_durability;
  if (s->mds_refresher_) {
    ac.mds_source = [r = s->mds_refresher_] { return r->Current(); };
  }
  for (size_t i = 0; i < std::max<size_t>(workers, 1); ++i) {
    KW_ASSIGN_OR_RETURN(auto a, authenticator::Authenticator::Open(ac));
    s->auths_.push_back(std::move(a));
    // Browser sessions and pending ceremonies: in the same store, shared by every node.
    KW_ASSIGN_OR_RETURN(auto w, authenticator::WebStateStore::Open(ac, 2));
    s->web_states_.push_back(std::move(w));
  }
  KW_TRY(s->LoadDecoyKey());
  AddOperationsRoutes(*s);
  AddStaticRoutes(*s);
  AddBrowserRoutes(*s);
  if (config.conformance) AddConformanceRoutes(*s);
  AddIntegrationRoutes(*s);
  return s;
}

Result<void> Service::LoadDecoyKey() {
  // Created by the first node that starts on the store and then read by every other one; it never
  // expires (a changed key would change every unknown name's list at once).
  constexpr int64_t kNever = int64_t{1} << 62;
  KW_ASSIGN_OR_RETURN(Bytes fresh, RandomBytes(32));
  KW_ASSIGN_OR_RETURN(
      authenticator::WebState held,
      web_states_.front()->PutIfAbsent("decoy_key", "v1", Base64UrlEncode(fresh), kNever));
  KW_ASSIGN_OR_RETURN(decoy_key_, Base64UrlDecode(held.data));
  if (decoy_key_.size() != 32) return Fail(ErrorCode::kStoreCorrupt, "decoy key is not 32 bytes");
  return Ok();
}

Json Service::DecoyAllowCredentials(std::string_view username) const {
  std::string lower(username);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  Sha256Digest seed = Sha256({decoy_key_, AsBytes("decoy-count"), AsBytes(lower)});
  const int n = 1 + (seed[0] & 1);
  Json allow = Json::array();
  for (int i = 0; i < n; ++i) {
    const uint8_t idx = static_cast<uint8_t>(i);
    Sha256Digest id = Sha256({decoy_key_, AsBytes("decoy-id"), AsBytes(lower), ByteSpan(&idx, 1)});
    allow.push_back({{"type", "public-key"}, {"id", Base64UrlEncode(id)}});
  }
  return allow;
}

void Service::AddRoute(Route r) {
  std::string path = r.path, method = r.method;
  routes_[path][method] = std::move(r);
}

std::vector<std::pair<std::string, std::string>> Service::Routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [path, methods] : routes_) {
    for (const auto& [method, r] : methods) out.emplace_back(method, path);
  }
  return out;
}

void Service::SecurityHeaders(const HttpRequest& req, HttpResponse& resp) const {
  auto& h = resp.headers;
  h.emplace_back("Content-Security-Policy", kCsp);
  h.emplace_back("X-Content-Type-Options", "nosniff");
  h.emplace_back("Referrer-Policy", "no-referrer");
  h.emplace_back("X-Frame-Options", "DENY");
  h.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  h.emplace_back("Cross-Origin-Resource-Policy", "same-origin");
  if (req.tls) h.emplace_back("Strict-Transport-Security", "max-age=63072000; includeSubDomains");
  if (resp.content_type == "application/json") h.emplace_back("Cache-Control", "no-store");
  h.emplace_back("X-Request-Id", req.request_id);
}

void Service::Log(const HttpRequest& req, const HttpResponse& resp, double seconds) {
  // Never the query, body, cookies or headers: only the route pattern, or the path of a static
  // file or unknown route (cut to 128 bytes).
  Json j = {{"ts", WallTime()},
            {"event", "request"},
            {"rid", req.request_id},
            {"ip", req.client_ip},
            {"method", req.method.substr(0, 16)},
            {"route", resp.route},
            {"status", resp.status},
            {"ms", static_cast<double>(static_cast<int64_t>(seconds * 1e6)) / 1000.0},
            {"bytes", resp.body.size()}};
  if (resp.route == "static" || resp.route == "unknown") j["path"] = req.path.substr(0, 128);
  if (!resp.error_code.empty()) j["code"] = resp.error_code;
  std::string line = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  line += '\n';
  std::lock_guard lock(log_mu_);
  std::fwrite(line.data(), 1, line.size(), log_);
  std::fflush(log_);
}

void Service::HandleTransportError(int status, std::string_view code, HttpRequest& req,
                                   HttpResponse& resp) {
  auto start = std::chrono::steady_clock::now();
  req.request_id = NewRequestId();
  std::string message = std::string(code);
  if (status == 413) message += ": the body exceeds limits.max_body_bytes";
  if (status == 431) message += ": the headers exceed limits.max_header_bytes";
  if (status == 408) message += ": the request did not arrive within limits.read_timeout_ms";
  SendError(resp, status, code, message);
  resp.route = "transport";
  resp.close = true;
  SecurityHeaders(req, resp);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.Request(resp.route, MethodLabel(req.method), resp.status, secs);
  Log(req, resp, secs);
}

void Service::Handle(HttpRequest& req, HttpResponse& resp) {
  auto start = std::chrono::steady_clock::now();
  req.request_id = NewRequestId();
  [&] {
    // Per-IP token bucket on every face but operations.
    bool ops = req.path == "/healthz" || req.path == "/readyz" || req.path == "/metrics";
    if (!ops) {
      uint32_t retry = 0;
      if (!ip_buckets_.Take(req.client_ip, MonotonicSeconds(), &retry)) {
        resp.route = "rate_limited";
        resp.headers.emplace_back("Retry-After", std::to_string(retry));
        return SendError(resp, 429, "rate_limited", "rate_limited: too many requests");
      }
    }
    auto pit = routes_.find(req.path);
    if (pit == routes_.end()) {
      if ((req.method == "GET" || req.method == "HEAD") && ServeStatic(config_, req, resp)) {
        resp.route = "static";
        return;
      }
      resp.route = "unknown";
      return SendError(resp, 404, "route_not_found", "route_not_found: no such route");
    }
    auto mit = pit->second.find(req.method);
    if (mit == pit->second.end()) {
      resp.route = req.path;
      std::string allow;
      for (const auto& [m, r] : pit->second) allow += (allow.empty() ? "" : ", ") + m;
      resp.headers.emplace_back("Allow", allow);
      return SendError(resp, 405, "method_not_allowed", "method_not_allowed: use " + allow);
    }
    const Route& route = mit->second;
    resp.route = route.path;
    if (route.state_changing_browser) {
      std::string_view origin = req.Header("origin");
      bool allowed = false;
      for (const auto& o : config_.origins) allowed = allowed || origin == o;
      if (!allowed) {
        return SendError(resp, 403, "origin_not_allowed",
                         "origin_not_allowed: Origin must be one of the configured origins");
      }
    }
    if (req.method == "POST" || req.method == "PUT" || req.method == "DELETE") {
      std::string_view ct = req.Header("content-type");
      std::string_view media = ct.substr(0, ct.find(';'));
      while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
      std::string lower(media);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower != "application/json") {
        return SendError(resp, 415, "unsupported_media_type",
                         "unsupported_media_type: send Content-Type: application/json");
      }
    }
    route.handler(*this, req, resp);
  }();
  SecurityHeaders(req, resp);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.Request(resp.route, MethodLabel(req.method), resp.status, secs);
  Log(req, resp, secs);
}

}  // namespace keyward::serve
