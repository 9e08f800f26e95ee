// Static files under web_root and /.well-known/webauthn (WebAuthn L3 §5.11 related origins).
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/json.h"
#include "serve/service.h"

namespace keyward::serve {
namespace {

std::string_view ContentType(std::string_view path) {
  auto dot = path.rfind('.');
  std::string_view ext = dot == std::string_view::npos ? "" : path.substr(dot);
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".webmanifest") return "application/manifest+json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  if (ext == ".woff2") return "font/woff2";
  return "application/octet-stream";
}

// A request path maps to a file only if every segment is plain: no "..", ".", empty segment,
// backslash, NUL, percent-escape or control character (nothing is decoded, so nothing can be
// smuggled past this check).
bool SafePath(std::string_view p) {
  if (p.empty() || p.front() != '/') return false;
  if (p.size() > 1024) return false;
  size_t i = 1;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view seg = p.substr(i, j - i);
    if (seg.empty() && j != p.size()) return false;  // "//"
    if (seg == "." || seg == "..") return false;
    if (!seg.empty() && seg.front() == '.') return false;  // dotfiles
    for (char c : seg) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f || c == '\\' || c == '%') return false;
    }
    i = j + 1;
  }
  return true;
}

}  // namespace

bool ServeStatic(const ServeConfig& config, const HttpRequest& req, HttpResponse& resp) {
  if (config.web_root.empty() || !SafePath(req.path)) return false;
  std::string rel = req.path == "/" || req.path.back() == '/' ? req.path + "index.html" : req.path;
  std::string full = config.web_root + rel;
  struct stat st;
  if (::stat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (8 << 20)) {
    return false;
  }
  std::ifstream in(full, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  resp.status = 200;
  resp.content_type = std::string(ContentType(rel));
  resp.body = req.method == "HEAD" ? std::string() : s.str();
  resp.headers.emplace_back("Cache-Control", "no-cache");
  return true;
}

void AddStaticRoutes(Service& service) {
  service.AddRoute(
      {"GET", "/.well-known/webauthn", [](Service& svc, HttpRequest&, HttpResponse& resp) {
         Json j = {{"origins", svc.config().related_origins}};
         SendJson(resp, 200, j.dump());
       }});
}

}  // namespace keyward::serve
