// `keyward serve` configuration: one JSON file, validated completely at start.
//
// Invariants of a ServeConfig returned by LoadServeConfig / ParseServeConfig:
//  - rp_id is a non-empty host name, every origin is an https:// origin (http:// only for
//    localhost / 127.0.0.1 / [::1]) without path, query or fragment;
//  - listen parses as HOST:PORT; tls is either absent or both files are readable;
//  - every limit is inside its documented range; unknown members are refused (a typo is an
//    error, never a silently ignored setting).
// Each problem is reported with its JSON pointer (e.g. "/limits/max_body_bytes").
#ifndef KEYWARD_SERVE_CONFIG_H_
#define KEYWARD_SERVE_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keyward/result.h"

namespace keyward::serve {

struct ConfigProblem {
  std::string path;  // JSON pointer of the member
  std::string message;
};

struct Limits {
  size_t max_body_bytes = 64 * 1024;   // 413 beyond
  size_t max_header_bytes = 8 * 1024;  // 431 beyond
  uint32_t read_timeout_ms = 10000;    // a whole request (headers + body) must arrive in this
  uint32_t idle_timeout_ms = 60000;    // keep-alive connection without a request
  uint32_t handshake_timeout_ms = 10000;
  uint32_t max_connections = 20000;
  uint32_t max_connections_per_ip = 1024;
  // Token buckets: `rate` requests per second refill, `burst` capacity.
  double ip_rate = 50;
  double ip_burst = 200;
  // Failed logins per account (and per IP) before back-off starts; each further failure doubles
  // the lock-out, from backoff_base_seconds up to backoff_max_seconds.
  uint32_t login_failures_before_backoff = 5;
  uint32_t backoff_base_seconds = 1;
  uint32_t backoff_max_seconds = 900;
  uint32_t shutdown_grace_ms = 30000;  // in-flight requests get this long after SIGTERM
};

struct TlsFiles {
  std::string cert;       // PEM chain
  std::string key;        // PEM private key
  std::string client_ca;  // optional: PEM CAs for mTLS clients of /v1
};

struct ServeConfig {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8443;
  std::string rp_id;
  std::string rp_name;
  std::vector<std::string> origins;
  std::vector<std::string> related_origins;
  std::string policy = "ciam";         // preset name or the text of a policy file (resolved)
  std::string policy_source = "ciam";  // as written (for messages)
  std::string store_path;              // SQLite file
  std::string store_url;               // postgresql://... (then store_path is empty)
  bool relaxed_durability = false;
  std::string trust_dir;  // attestation roots (TrustStore::AddDirectory)
  std::string mds_store;  // a verified metadata BLOB stored by `keyward mds import` / `mds fetch`
  // Background refresh of mds_store (attestation/mds_refresher.h): downloads mds_url at start
  // and at each nextUpdate, keeps the last good copy on failure. mds_root: PEM/DER roots the
  // BLOB must chain to instead of the bundled FIDO MDS root; mds_tls_ca: CA bundle for the
  // HTTPS server instead of the system store.
  bool mds_refresh = false;
  std::string mds_url;  // "" → https://mds3.fidoalliance.org/
  std::string mds_root;
  std::string mds_tls_ca;
  std::vector<std::string> conformance_mds;  // conformance mode: metadata BLOB files (JWT)
  std::string conformance_mds_root;          // conformance mode: the BLOBs' root (PEM/DER)
  bool conformance = false;                  // serves /attestation/* and /assertion/*
  std::optional<TlsFiles> tls;
  bool cookie_secure = true;
  std::string web_root;                      // "" → no static files
  std::vector<std::string> trusted_proxies;  // IPs or CIDRs whose X-Forwarded-For is honoured
  std::string api_keys_file;                 // /v1 API keys (hashed); "" → /v1 only through mTLS
  std::string log_file;                      // "" → stderr
  uint32_t threads = 0;                      // 0 → hardware concurrency
  Limits limits;
};

// Parses and validates. kConfigInvalid with every problem listed in `problems` (when given).
Result<ServeConfig> ParseServeConfig(std::string_view json_text, const std::string& base_dir,
                                     std::vector<ConfigProblem>* problems);
Result<ServeConfig> LoadServeConfig(const std::string& path, std::vector<ConfigProblem>* problems);

// The web_root used when the config names none: $KEYWARD_WEB_ROOT, the build tree's serve/web, or
// the installed share/keyward/web (first that exists; "" when none).
std::string DefaultWebRoot();

}  // namespace keyward::serve

#endif  // KEYWARD_SERVE_CONFIG_H_
