#include "pkcs11/module.h"

#include <dlfcn.h>
#include <p11-kit/p11-kit.h>
#include <stdlib.h>

#include <climits>
#include <map>
#include <mutex>

#include "pkcs11/ck_error.h"

namespace keyward::pkcs11 {

// PKCS#11 v3.0 §3.1 CK_INTERFACE and §5.2 C_GetInterface: not in p11-kit 0.24's v2.40 header.
struct CkInterface30 {
  CK_UTF8CHAR* interface_name;
  void* function_list;
  CK_FLAGS flags;
};
using CGetInterfaceFn = CK_RV (*)(CK_UTF8CHAR* name, CK_VERSION* version, CkInterface30** interface,
                                  CK_FLAGS flags);

struct ModuleRegistry {
  struct Entry {
    std::unique_ptr<Module> module;
    int users = 0;
  };
  std::mutex mu;
  std::map<std::string, Entry> entries;

  static ModuleRegistry& Get() {
    static ModuleRegistry* r = new ModuleRegistry();  // never destroyed: handles may outlive main
    return *r;
  }

  Result<std::unique_ptr<Module>> Open(const std::string& canonical) {
    std::unique_ptr<Module> m(new Module());
    m->path_ = canonical;
    m->dl_ = dlopen(canonical.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!m->dl_) {
      const char* err = dlerror();
      return Fail(ErrorCode::kPkcs11ModuleLoadFailed, err ? err : "dlopen failed");
    }
    auto get_interface = reinterpret_cast<CGetInterfaceFn>(dlsym(m->dl_, "C_GetInterface"));
    if (get_interface) {
      CK_UTF8CHAR name[] = "PKCS 11";
      CkInterface30* iface = nullptr;
      CK_RV rv = get_interface(name, nullptr, &iface, 0);
      if (rv == CKR_OK && iface && iface->function_list) {
        m->fn_ = static_cast<CK_FUNCTION_LIST*>(iface->function_list);
        m->via_get_interface_ = true;
      }
    }
    if (!m->fn_) {
      auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(m->dl_, "C_GetFunctionList"));
      if (!get_list) {
        dlclose(m->dl_);
        m->dl_ = nullptr;
        return Fail(ErrorCode::kPkcs11ModuleLoadFailed, "no C_GetInterface or C_GetFunctionList");
      }
      CK_RV rv = get_list(&m->fn_);
      if (rv != CKR_OK || !m->fn_) {
        dlclose(m->dl_);
        m->dl_ = nullptr;
        Error e = CkError(rv, "C_GetFunctionList");
        e.code = ErrorCode::kPkcs11ModuleLoadFailed;
        return Fail(std::move(e));
      }
    }
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    CK_RV rv = m->fn_->C_Initialize(&args);
    if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      m->finalize_ = false;  // someone else in this process owns the initialisation
    } else if (rv != CKR_OK) {
      dlclose(m->dl_);
      m->dl_ = nullptr;
      return Fail(CkError(rv, "C_Initialize"));
    } else {
      m->finalize_ = true;
    }
    return m;
  }

  void Release(const std::string& canonical) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = entries.find(canonical);
    if (it == entries.end()) return;
    if (--it->second.users > 0) return;
    entries.erase(it);  // ~Module finalises under the lock: a concurrent Load waits for it
  }
};

Module::~Module() {
  if (fn_ && finalize_) fn_->C_Finalize(nullptr);
  if (dl_) dlclose(dl_);
}

Result<std::shared_ptr<Module>> Module::Load(const std::string& path_or_name) {
  std::string path = path_or_name;
  if (!path.empty() && path.find('/') == std::string::npos) {
    for (const RegisteredModule& m : P11KitRegistered()) {
      if (m.name == path_or_name) {
        path = m.path;
        break;
      }
    }
  }
  char resolved[PATH_MAX];
  if (!realpath(path.c_str(), resolved)) {
    return Fail(ErrorCode::kPkcs11ModuleLoadFailed,
                "no such module file or p11-kit module name: " + path_or_name);
  }
  std::string canonical(resolved);
  ModuleRegistry& reg = ModuleRegistry::Get();
  std::lock_guard<std::mutex> lock(reg.mu);
  auto it = reg.entries.find(canonical);
  if (it == reg.entries.end()) {
    KW_ASSIGN_OR_RETURN(auto m, reg.Open(canonical));
    it = reg.entries.emplace(canonical, ModuleRegistry::Entry{std::move(m), 0}).first;
  }
  ++it->second.users;
  Module* raw = it->second.module.get();
  return std::shared_ptr<Module>(
      raw, [canonical](Module*) { ModuleRegistry::Get().Release(canonical); });
}

std::vector<RegisteredModule> Module::P11KitRegistered() {
  std::vector<RegisteredModule> out;
  CK_FUNCTION_LIST** modules = p11_kit_modules_load(nullptr, P11_KIT_MODULE_UNMANAGED);
  if (!modules) return out;
  for (CK_FUNCTION_LIST** m = modules; *m; ++m) {
    char* name = p11_kit_module_get_name(*m);
    char* file = p11_kit_module_get_filename(*m);
    if (file) out.push_back({name ? name : "", file});
    free(name);  // NOLINT: allocated by p11-kit with malloc
    free(file);  // NOLINT
  }
  p11_kit_modules_release(modules);
  return out;
}

Result<ModuleInfo> Module::Info() const {
  CK_INFO info{};
  CK_RV rv = fn_->C_GetInfo(&info);
  if (rv != CKR_OK) return Fail(CkError(rv, "C_GetInfo"));
  ModuleInfo out;
  out.path = path_;
  out.manufacturer = PaddedToString(info.manufacturerID, sizeof(info.manufacturerID));
  out.description = PaddedToString(info.libraryDescription, sizeof(info.libraryDescription));
  out.cryptoki_major = info.cryptokiVersion.major;
  out.cryptoki_minor = info.cryptokiVersion.minor;
  out.library_major = info.libraryVersion.major;
  out.library_minor = info.libraryVersion.minor;
  out.via_get_interface = via_get_interface_;
  return out;
}

std::string PaddedToString(const CK_UTF8CHAR* field, size_t size) {
  std::string s(reinterpret_cast<const char*>(field), size);
  size_t end = s.find_last_not_of(' ');
  s.resize(end == std::string::npos ? 0 : end + 1);
  // Some modules NUL-terminate instead of padding.
  size_t nul = s.find('\0');
  if (nul != std::string::npos) s.resize(nul);
  return s;
}

}  // namespace keyward::pkcs11
