// keyward::pkcs11::ModuleForToken (keyward/pkcs11.h): which module a command loads when the
// token is named by a PKCS#11 URI carrying the RFC 7512 §2.4 query attributes module-path and
// module-name.
#include <filesystem>

#include "keyward/pkcs11.h"
#include "pkcs11/uri.h"

namespace keyward::pkcs11 {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// RFC 7512: module-name is the library's name without path and platform decoration
// ("opensc-pkcs11" for opensc-pkcs11.so, "softhsm2" for libsofthsm2.so). keyward also takes a
// p11-kit registration name. Case-insensitive, as the RFC asks.
bool NameMatches(const RegisteredModule& m, std::string_view name) {
  if (IEquals(m.name, name)) return true;
  std::string file = std::filesystem::path(m.path).filename().string();
  if (file.size() > 3 && file.compare(file.size() - 3, 3, ".so") == 0) file.resize(file.size() - 3);
  if (IEquals(file, name)) return true;
  return file.rfind("lib", 0) == 0 && IEquals(std::string_view(file).substr(3), name);
}

// A module given as a path or a p11-kit name, as a path (for comparing two ways of naming one).
std::string AsPath(const std::string& module) {
  std::string path = module;
  if (module.find('/') == std::string::npos) {
    for (const auto& m : RegisteredModules()) {
      if (m.name == module) path = m.path;
    }
  }
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : canonical.string();
}

}  // namespace

Result<std::string> ModuleForToken(const std::string& module, const std::string& token) {
  std::string from_uri;
  if (token.rfind("pkcs11:", 0) == 0) {
    KW_ASSIGN_OR_RETURN(Pkcs11Uri uri, Pkcs11Uri::Parse(token));
    std::error_code ec;
    const bool path_is_dir = uri.module_path && std::filesystem::is_directory(*uri.module_path, ec);
    if (uri.module_path && !path_is_dir) {
      from_uri = *uri.module_path;
    } else if (uri.module_name) {
      for (const auto& m : RegisteredModules()) {
        if (NameMatches(m, *uri.module_name) &&
            (!path_is_dir || std::filesystem::path(m.path).parent_path() == *uri.module_path)) {
          from_uri = m.path;
          break;
        }
      }
      if (from_uri.empty() && path_is_dir) {
        // Not registered with p11-kit: look for the library in the given directory.
        for (const std::string& file :
             {*uri.module_name + ".so", "lib" + *uri.module_name + ".so"}) {
          const auto candidate = std::filesystem::path(*uri.module_path) / file;
          if (std::filesystem::is_regular_file(candidate, ec)) {
            from_uri = candidate.string();
            break;
          }
        }
      }
      if (from_uri.empty()) {
        return Fail(ErrorCode::kPkcs11ModuleLoadFailed,
                    "the URI's module-name matches no module registered with p11-kit" +
                        std::string(path_is_dir ? " nor a library in its module-path" : ""));
      }
    } else if (path_is_dir) {
      return Fail(ErrorCode::kPkcs11UriInvalid,
                  "the URI's module-path is a directory but it has no module-name");
    }
  }
  if (module.empty()) return from_uri;
  if (!from_uri.empty() && AsPath(from_uri) != AsPath(module)) {
    return Fail(ErrorCode::kPkcs11UriInvalid,
                "the token URI names module " + from_uri + " but --module names " + module);
  }
  return module;
}

}  // namespace keyward::pkcs11
