// keyward serve: the passkey relying party as an HTTP service (serve/, docs/serve.md).
//   keyward serve --config FILE          serve until SIGTERM/SIGINT
//   keyward serve --check-config FILE    validate the config and exit (0 ok, 2 problems)
//   keyward serve --new-api-key NAME     print a new /v1 API key and its keys-file line
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <thread>

#include "core/json.h"
#include "serve/api_keys.h"
#include "serve/config.h"
#include "serve/http_server.h"
#include "serve/net_util.h"
#include "serve/service.h"
#include "tools/keyward/command.h"

namespace keyward::cli {
namespace {

struct ServeOptions {
  std::string config;
  std::string check_config;
  std::string new_api_key;
};

// systemd readiness (sd_notify protocol): one datagram "READY=1" to $NOTIFY_SOCKET.
void NotifySystemd(const char* state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || (path[0] != '/' && path[0] != '@')) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  size_t len = std::strlen(path);
  if (len >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, path, len);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  (void)::sendto(fd, state, std::strlen(state), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
                 static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len));
  ::close(fd);
}

int PrintProblems(const std::vector<serve::ConfigProblem>& problems, const Error& e) {
  if (problems.empty()) {
    std::cerr << Json{{"error", ErrorCodeName(e.code)}, {"path", ""}, {"message", e.detail}}.dump()
              << "\n";
  }
  for (const auto& p : problems) {
    std::cerr << Json{{"error", "config_invalid"}, {"path", p.path}, {"message", p.message}}.dump()
              << "\n";
  }
  return kExitUsage;
}

int RunServe(const ServeOptions& o) {
  if (!o.new_api_key.empty()) {
    auto m = serve::ApiKeys::Mint(o.new_api_key);
    if (!m) {
      std::cerr << "keyward serve: " << m.error().ToString() << "\n";
      return kExitUsage;
    }
    std::cout << Json{{"key", m->key}, {"keys_file_line", m->line}}.dump() << "\n";
    return kExitOk;
  }
  std::vector<serve::ConfigProblem> problems;
  if (!o.check_config.empty()) {
    auto cfg = serve::LoadServeConfig(o.check_config, &problems);
    if (!cfg) return PrintProblems(problems, cfg.error());
    // What start would verify beyond the file's shape (conformance metadata BLOBs).
    if (auto deep = serve::CheckConfigFiles(*cfg); !deep) return PrintProblems({}, deep.error());
    std::cout << Json{{"ok", true}, {"config", o.check_config}}.dump() << "\n";
    return kExitOk;
  }
  auto cfg = serve::LoadServeConfig(o.config, &problems);
  if (!cfg) return PrintProblems(problems, cfg.error());
  size_t threads = cfg->threads ? cfg->threads : std::max(1u, std::thread::hardware_concurrency());
  auto service = serve::Service::Create(*cfg, threads);
  if (!service) {
    std::cerr << Json{{"event", "error"},
                      {"code", ErrorCodeName(service.error().code)},
                      {"message", service.error().detail}}
                     .dump()
              << "\n";
    return kExitEnvironment;
  }
  serve::HttpServerOptions ho;
  ho.host = cfg->listen_host;
  ho.port = cfg->listen_port;
  ho.threads = threads;
  ho.limits = cfg->limits;
  ho.tls = cfg->tls;
  for (const auto& p : cfg->trusted_proxies) ho.trusted_proxies.push_back(*serve::ParseCidr(p));
  serve::Service* svc = service->get();
  ho.on_hangup = [svc] { svc->RefreshMetadataNow(); };
  auto server = serve::HttpServer::Create(
      ho, [svc](serve::HttpRequest& req, serve::HttpResponse& resp) { svc->Handle(req, resp); },
      [svc](int status, std::string_view code, serve::HttpRequest& req, serve::HttpResponse& resp) {
        svc->HandleTransportError(status, code, req, resp);
      });
  if (!server) {
    std::cerr << Json{{"event", "error"},
                      {"code", ErrorCodeName(server.error().code)},
                      {"message", server.error().detail}}
                     .dump()
              << "\n";
    return kExitEnvironment;
  }
  serve::HttpServer* srv = server->get();
  svc->SetGaugeSource([srv] {
    return std::map<std::string, double>{
        {"open_connections", static_cast<double>(srv->open_connections())},
        {"worker_threads", static_cast<double>(srv->threads())}};
  });
  (*server)->Run([&] {
    std::cout << Json{{"event", "ready"}, {"listen", srv->listen_address()}}.dump() << std::endl;
    NotifySystemd("READY=1");
  });
  NotifySystemd("STOPPING=1");
  std::cout << Json{{"event", "stopped"}}.dump() << std::endl;
  return kExitOk;
}

Command MakeServe(CLI::App& root) {
  auto o = std::make_shared<ServeOptions>();
  auto* app = root.add_subcommand("serve", "run the passkey relying party as an HTTP service");
  auto* config = app->add_option("--config", o->config, "JSON config file (docs/serve.md)");
  auto* check = app->add_option("--check-config", o->check_config,
                                "validate a config file and exit (0: valid, 2: problems)");
  auto* mint = app->add_option("--new-api-key", o->new_api_key,
                               "print a new /v1 API key named NAME and its keys-file line");
  config->excludes(check)->excludes(mint);
  check->excludes(mint);
  app->callback([config, check, mint] {
    if (!config->count() && !check->count() && !mint->count()) {
      throw CLI::RequiredError("--config, --check-config or --new-api-key");
    }
  });
  return {app, [o] { return RunServe(*o); }};
}

}  // namespace

KEYWARD_REGISTER_COMMAND(90, MakeServe);

}  // namespace keyward::cli
