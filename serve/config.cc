#include "serve/config.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "attestation/trust_store.h"
#include "core/json.h"
#include "keyward/authenticator.h"
#include "serve/net_util.h"

namespace keyward::serve {
namespace {

class Checker {
 public:
  explicit Checker(std::vector<ConfigProblem>* out) : out_(out) {}
  void Problem(std::string path, std::string message) {
    ok_ = false;
    if (out_) out_->push_back({std::move(path), std::move(message)});
  }
  bool ok() const { return ok_; }

  void String(const Json& obj, const char* key, const std::string& base, std::string* into,
              bool required = false) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (required) Problem(base + "/" + key, "required");
      return;
    }
    if (!it->is_string()) return Problem(base + "/" + key, "must be a string");
    *into = it->get<std::string>();
    if (required && into->empty()) Problem(base + "/" + key, "must not be empty");
  }
  void Bool(const Json& obj, const char* key, const std::string& base, bool* into) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return;
    if (!it->is_boolean()) return Problem(base + "/" + key, "must be true or false");
    *into = it->get<bool>();
  }
  template <typename T>
  void Number(const Json& obj, const char* key, const std::string& base, T* into, double lo,
              double hi) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return;
    if (!it->is_number()) return Problem(base + "/" + key, "must be a number");
    double v = it->get<double>();
    if (!(v >= lo && v <= hi)) {
      std::ostringstream m;
      m << "must be between " << lo << " and " << hi;
      return Problem(base + "/" + key, m.str());
    }
    if constexpr (std::is_integral_v<T>) {
      if (!it->is_number_integer() && !it->is_number_unsigned()) {
        return Problem(base + "/" + key, "must be an integer");
      }
    }
    *into = static_cast<T>(v);
  }
  void Strings(const Json& obj, const char* key, const std::string& base,
               std::vector<std::string>* into) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return;
    if (!it->is_array()) return Problem(base + "/" + key, "must be an array of strings");
    into->clear();
    for (size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) {
        Problem(base + "/" + key + "/" + std::to_string(i), "must be a string");
        continue;
      }
      into->push_back((*it)[i].get<std::string>());
    }
  }
  void Unknown(const Json& obj, const std::string& base, const std::set<std::string>& known) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      if (!known.count(it.key())) Problem(base + "/" + it.key(), "unknown member");
    }
  }

 private:
  std::vector<ConfigProblem>* out_;
  bool ok_ = true;
};

bool Readable(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

std::string Resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p[0] == '/' || base_dir.empty()) return p;
  return (std::filesystem::path(base_dir) / p).string();
}

bool ValidHostName(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  for (char c : h) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
  }
  return h.front() != '.' && h.back() != '.' && h.find("..") == std::string_view::npos;
}

// "https://host[:port]" (http:// only for loopback hosts); no path, query, fragment, user info.
bool ValidOrigin(std::string_view o) {
  std::string_view rest;
  bool https = false;
  if (o.substr(0, 8) == "https://") {
    rest = o.substr(8);
    https = true;
  } else if (o.substr(0, 7) == "http://") {
    rest = o.substr(7);
  } else {
    return false;
  }
  if (rest.empty() || rest.find_first_of("/?#@ ") != std::string_view::npos) return false;
  std::string_view host = rest;
  if (host.front() == '[') {
    auto close = host.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view after = host.substr(close + 1);
    host = host.substr(0, close + 1);
    if (!after.empty() && (after[0] != ':' || after.size() < 2)) return false;
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    std::string_view port = host.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos) {
      return false;
    }
    host = host.substr(0, colon);
  }
  if (!https) {
    return host == "localhost" || host == "127.0.0.1" || host == "[::1]" ||
           (host.size() > 10 && host.substr(host.size() - 10) == ".localhost");
  }
  return host.front() == '[' || ValidHostName(host);
}

}  // namespace

std::string DefaultWebRoot() {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (const char* env = std::getenv("KEYWARD_WEB_ROOT"); env && *env) return env;
#ifdef KEYWARD_SERVE_SOURCE_WEB_ROOT
  if (fs::is_directory(KEYWARD_SERVE_SOURCE_WEB_ROOT, ec)) return KEYWARD_SERVE_SOURCE_WEB_ROOT;
#endif
#ifdef KEYWARD_SERVE_INSTALLED_WEB_ROOT
  if (fs::is_directory(KEYWARD_SERVE_INSTALLED_WEB_ROOT, ec)) {
    return KEYWARD_SERVE_INSTALLED_WEB_ROOT;
  }
#endif
  return "";
}

Result<ServeConfig> ParseServeConfig(std::string_view json_text, const std::string& base_dir,
                                     std::vector<ConfigProblem>* problems) {
  std::vector<ConfigProblem> local;
  if (problems == nullptr) problems = &local;
  auto parsed = ParseJson(json_text);
  if (!parsed) {
    problems->push_back({"", "not valid JSON: " + parsed.error().detail});
    return Fail(ErrorCode::kConfigInvalid, "config: not valid JSON");
  }
  const Json& j = *parsed;
  if (!j.is_object()) {
    problems->push_back({"", "must be a JSON object"});
    return Fail(ErrorCode::kConfigInvalid, "config: not an object");
  }
  Checker c(problems);
  c.Unknown(j, "",
            {"listen",
             "rp_id",
             "rp_name",
             "origins",
             "related_origins",
             "policy",
             "store",
             "durability",
             "trust_dir",
             "mds_store",
             "mds_refresh",
             "mds_url",
             "mds_root",
             "mds_tls_ca",
             "conformance",
             "conformance_mds",
             "conformance_mds_root",
             "tls",
             "cookie_secure",
             "web_root",
             "trusted_proxies",
             "api_keys_file",
             "log_file",
             "threads",
             "limits"});
  ServeConfig cfg;

  std::string listen = "127.0.0.1:8443";
  c.String(j, "listen", "", &listen);
  if (auto hp = SplitHostPort(listen); !hp) {
    c.Problem("/listen", "must be HOST:PORT (IPv6 as [ADDR]:PORT)");
  } else {
    cfg.listen_host = hp->first;
    cfg.listen_port = hp->second;
    if (!ParseIp(cfg.listen_host)) c.Problem("/listen", "host must be an IP address");
  }

  c.String(j, "rp_id", "", &cfg.rp_id, true);
  if (!cfg.rp_id.empty() && !ValidHostName(cfg.rp_id)) {
    c.Problem("/rp_id", "must be a host name (no scheme, port or path)");
  }
  cfg.rp_name = cfg.rp_id;
  c.String(j, "rp_name", "", &cfg.rp_name);

  c.Strings(j, "origins", "", &cfg.origins);
  if (cfg.origins.empty()) c.Problem("/origins", "required: at least one origin");
  for (size_t i = 0; i < cfg.origins.size(); ++i) {
    if (!ValidOrigin(cfg.origins[i])) {
      c.Problem("/origins/" + std::to_string(i),
                "must be https://HOST[:PORT] (http:// only for localhost), no path");
    }
  }
  c.Strings(j, "related_origins", "", &cfg.related_origins);
  for (size_t i = 0; i < cfg.related_origins.size(); ++i) {
    if (!ValidOrigin(cfg.related_origins[i])) {
      c.Problem("/related_origins/" + std::to_string(i), "must be an origin");
    }
  }

  c.String(j, "policy", "", &cfg.policy_source);
  if (cfg.policy_source == "ciam" || cfg.policy_source == "workforce") {
    cfg.policy = cfg.policy_source;
  } else if (cfg.policy_source.empty()) {
    c.Problem("/policy", "must be \"ciam\", \"workforce\" or a policy file path");
  } else {
    std::string path = Resolve(base_dir, cfg.policy_source);
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      c.Problem("/policy", "policy file not readable: " + path);
    } else {
      std::ostringstream s;
      s << in.rdbuf();
      cfg.policy = s.str();
    }
  }

  std::string store;
  c.String(j, "store", "", &store, true);
  if (!store.empty()) {
    if (store.rfind("sqlite:", 0) == 0) {
      cfg.store_path = store.substr(7);
    } else if (store.find("://") != std::string::npos) {
      // postgresql://... (libpq URI): shared by every node; checked here, connected at start.
      auto url = authenticator::ParseStoreUrl(store);
      if (!url || url->backend != authenticator::StoreUrl::Backend::kPostgres) {
        c.Problem("/store", "unsupported store URL (sqlite:PATH, a file path or postgresql://...)");
      } else {
        cfg.store_url = store;
      }
    } else {
      cfg.store_path = store;
    }
    if (cfg.store_url.empty()) {
      if (cfg.store_path.empty() && c.ok()) c.Problem("/store", "empty path");
      cfg.store_path = Resolve(base_dir, cfg.store_path);
    }
  }
  std::string durability = "full";
  c.String(j, "durability", "", &durability);
  if (durability == "relaxed") {
    cfg.relaxed_durability = true;
  } else if (durability != "full") {
    c.Problem("/durability", "must be \"full\" or \"relaxed\"");
  }

  c.String(j, "trust_dir", "", &cfg.trust_dir);
  cfg.trust_dir = Resolve(base_dir, cfg.trust_dir);
  if (!cfg.trust_dir.empty() && !std::filesystem::is_directory(cfg.trust_dir)) {
    c.Problem("/trust_dir", "not a directory: " + cfg.trust_dir);
  }
  c.String(j, "mds_store", "", &cfg.mds_store);
  cfg.mds_store = Resolve(base_dir, cfg.mds_store);
  c.Bool(j, "mds_refresh", "", &cfg.mds_refresh);
  if (cfg.mds_refresh) {
    // The refresher creates the file; its directory must exist.
    std::string parent = std::filesystem::path(cfg.mds_store).parent_path().string();
    if (cfg.mds_store.empty()) {
      c.Problem("/mds_store", "required with \"mds_refresh\": true");
    } else if (!std::filesystem::is_directory(parent.empty() ? "." : parent)) {
      c.Problem("/mds_store", "directory does not exist: " + parent);
    }
  } else if (!cfg.mds_store.empty() && !Readable(cfg.mds_store)) {
    c.Problem("/mds_store", "not readable: " + cfg.mds_store);
  }
  c.String(j, "mds_url", "", &cfg.mds_url);
  if (!cfg.mds_url.empty() && cfg.mds_url.rfind("https://", 0) != 0) {
    c.Problem("/mds_url", "must be an https:// URL");
  }
  c.String(j, "mds_root", "", &cfg.mds_root);
  cfg.mds_root = Resolve(base_dir, cfg.mds_root);
  if (!cfg.mds_root.empty()) {
    attestation::TrustStore roots;
    if (auto added = roots.AddFile(cfg.mds_root); !added) {
      c.Problem("/mds_root", "not a readable PEM/DER certificate file: " + cfg.mds_root);
    } else if (roots.anchor_count() == 0) {
      c.Problem("/mds_root", "holds no certificate: " + cfg.mds_root);
    }
  }
  c.String(j, "mds_tls_ca", "", &cfg.mds_tls_ca);
  cfg.mds_tls_ca = Resolve(base_dir, cfg.mds_tls_ca);
  if (!cfg.mds_tls_ca.empty() && !Readable(cfg.mds_tls_ca)) {
    c.Problem("/mds_tls_ca", "not readable: " + cfg.mds_tls_ca);
  }
  if (!cfg.mds_refresh) {
    for (const char* key : {"mds_url", "mds_root", "mds_tls_ca"}) {
      if (j.contains(key)) c.Problem(std::string("/") + key, "only with \"mds_refresh\": true");
    }
  }
  c.Bool(j, "conformance", "", &cfg.conformance);
  c.Strings(j, "conformance_mds", "", &cfg.conformance_mds);
  for (size_t i = 0; i < cfg.conformance_mds.size(); ++i) {
    cfg.conformance_mds[i] = Resolve(base_dir, cfg.conformance_mds[i]);
    if (!Readable(cfg.conformance_mds[i])) {
      c.Problem("/conformance_mds/" + std::to_string(i), "not readable");
    }
  }
  c.String(j, "conformance_mds_root", "", &cfg.conformance_mds_root);
  cfg.conformance_mds_root = Resolve(base_dir, cfg.conformance_mds_root);
  if (!cfg.conformance_mds.empty() && cfg.conformance_mds_root.empty()) {
    c.Problem("/conformance_mds_root", "required with conformance_mds");
  }
  if (!cfg.conformance_mds_root.empty() && !Readable(cfg.conformance_mds_root)) {
    c.Problem("/conformance_mds_root", "not readable");
  }
  if (!cfg.conformance && !cfg.conformance_mds.empty()) {
    c.Problem("/conformance_mds", "only with \"conformance\": true");
  }
  if (cfg.mds_refresh && !cfg.conformance_mds.empty()) {
    c.Problem("/mds_refresh", "excludes conformance_mds (one metadata source)");
  }

  if (auto it = j.find("tls"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) {
      c.Problem("/tls", "must be an object {\"cert\",\"key\"}");
    } else {
      c.Unknown(*it, "/tls", {"cert", "key", "client_ca"});
      TlsFiles t;
      c.String(*it, "cert", "/tls", &t.cert, true);
      c.String(*it, "key", "/tls", &t.key, true);
      c.String(*it, "client_ca", "/tls", &t.client_ca);
      t.cert = Resolve(base_dir, t.cert);
      t.key = Resolve(base_dir, t.key);
      t.client_ca = Resolve(base_dir, t.client_ca);
      if (!t.cert.empty() && !Readable(t.cert)) c.Problem("/tls/cert", "not readable");
      if (!t.key.empty() && !Readable(t.key)) c.Problem("/tls/key", "not readable");
      if (!t.client_ca.empty() && !Readable(t.client_ca)) {
        c.Problem("/tls/client_ca", "not readable");
      }
      cfg.tls = t;
    }
  }
  c.Bool(j, "cookie_secure", "", &cfg.cookie_secure);
  if (auto it = j.find("web_root"); it == j.end() || it->is_null()) {
    cfg.web_root = DefaultWebRoot();
  } else {
    c.String(j, "web_root", "", &cfg.web_root);
    cfg.web_root = Resolve(base_dir, cfg.web_root);
    if (!cfg.web_root.empty() && !std::filesystem::is_directory(cfg.web_root)) {
      c.Problem("/web_root", "not a directory: " + cfg.web_root);
    }
  }
  c.Strings(j, "trusted_proxies", "", &cfg.trusted_proxies);
  for (size_t i = 0; i < cfg.trusted_proxies.size(); ++i) {
    if (!ParseCidr(cfg.trusted_proxies[i])) {
      c.Problem("/trusted_proxies/" + std::to_string(i), "must be an IP address or CIDR");
    }
  }
  c.String(j, "api_keys_file", "", &cfg.api_keys_file);
  cfg.api_keys_file = Resolve(base_dir, cfg.api_keys_file);
  if (!cfg.api_keys_file.empty() && !Readable(cfg.api_keys_file)) {
    c.Problem("/api_keys_file", "not readable: " + cfg.api_keys_file);
  }
  c.String(j, "log_file", "", &cfg.log_file);
  cfg.log_file = Resolve(base_dir, cfg.log_file);
  c.Number(j, "threads", "", &cfg.threads, 0, 256);

  if (auto it = j.find("limits"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) {
      c.Problem("/limits", "must be an object");
    } else {
      const Json& l = *it;
      Limits& L = cfg.limits;
      c.Unknown(l, "/limits",
                {"max_body_bytes", "max_header_bytes", "read_timeout_ms", "idle_timeout_ms",
                 "handshake_timeout_ms", "max_connections", "max_connections_per_ip", "ip_rate",
                 "ip_burst", "login_failures_before_backoff", "backoff_base_seconds",
                 "backoff_max_seconds", "shutdown_grace_ms"});
      c.Number(l, "max_body_bytes", "/limits", &L.max_body_bytes, 1024, 16 << 20);
      c.Number(l, "max_header_bytes", "/limits", &L.max_header_bytes, 1024, 1 << 20);
      c.Number(l, "read_timeout_ms", "/limits", &L.read_timeout_ms, 100, 600000);
      c.Number(l, "idle_timeout_ms", "/limits", &L.idle_timeout_ms, 100, 3600000);
      c.Number(l, "handshake_timeout_ms", "/limits", &L.handshake_timeout_ms, 100, 600000);
      c.Number(l, "max_connections", "/limits", &L.max_connections, 1, 10000000);
      c.Number(l, "max_connections_per_ip", "/limits", &L.max_connections_per_ip, 1, 10000000);
      c.Number(l, "ip_rate", "/limits", &L.ip_rate, 0.01, 1e7);
      c.Number(l, "ip_burst", "/limits", &L.ip_burst, 1, 1e8);
      c.Number(l, "login_failures_before_backoff", "/limits", &L.login_failures_before_backoff, 1,
               1000);
      c.Number(l, "backoff_base_seconds", "/limits", &L.backoff_base_seconds, 1, 3600);
      c.Number(l, "backoff_max_seconds", "/limits", &L.backoff_max_seconds, 1, 86400);
      c.Number(l, "shutdown_grace_ms", "/limits", &L.shutdown_grace_ms, 0, 600000);
    }
  }
  if (!c.ok())
    return Fail(ErrorCode::kConfigInvalid,
                "config: " + problems->front().path + ": " + problems->front().message);
  return cfg;
}

Result<ServeConfig> LoadServeConfig(const std::string& path, std::vector<ConfigProblem>* problems) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (problems) problems->push_back({"", "cannot read config file " + path});
    return Fail(ErrorCode::kConfigInvalid, "cannot read config file");
  }
  std::ostringstream s;
  s << in.rdbuf();
  std::string base = std::filesystem::path(path).parent_path().string();
  return ParseServeConfig(s.str(), base, problems);
}

}  // namespace keyward::serve
