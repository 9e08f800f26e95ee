// Loading a PKCS#11 module (PKCS#11 v3.0 §5.2 C_GetInterface / v2.40 §5.4 C_GetFunctionList,
// C_Initialize, C_Finalize) and sharing one initialisation per module per process.
//
// Invariants:
//  - Module::Load returns a handle to an initialised module; every handle to the same file
//    (by canonical path) shares one dlopen + one C_Initialize (CKF_OS_LOCKING_OK).
//  - The last handle to go calls C_Finalize (unless another component in the process had already
//    initialised the module: CKR_CRYPTOKI_ALREADY_INITIALIZED is tolerated and then this process
//    part never finalises it) and dlclose.
//  - C_GetInterface("PKCS 11") is preferred when the module exports it; the v2.40 part of the
//    v3.0 function list is layout-compatible with CK_FUNCTION_LIST, which is all keyward calls.
#ifndef KEYWARD_PKCS11_MODULE_H_
#define KEYWARD_PKCS11_MODULE_H_

#include <p11-kit/pkcs11.h>

#include <memory>
#include <string>
#include <vector>

#include "keyward/pkcs11.h"
#include "keyward/result.h"

namespace keyward::pkcs11 {

struct ModuleInfo {
  std::string path;
  std::string manufacturer;
  std::string description;
  int cryptoki_major = 0, cryptoki_minor = 0;  // what the module's C_GetInfo reports
  int library_major = 0, library_minor = 0;
  bool via_get_interface = false;  // the function list came from C_GetInterface (v3.0)
};

class Module {
 public:
  // dlopens `path_or_name` (or reuses this process's handle to the same file) and initialises it.
  // A value without '/' that names a module registered with p11-kit loads that module's library;
  // anything else is a file path. kPkcs11ModuleLoadFailed when the file cannot be loaded or
  // exports no entry point; a failing C_Initialize keeps its CKR_* in native.
  static Result<std::shared_ptr<Module>> Load(const std::string& path_or_name);

  // The modules p11-kit's configuration registers for this program (p11_kit_modules_load:
  // /etc/pkcs11/modules, /usr/share/p11-kit/modules, the user's ~/.config/pkcs11/modules unless
  // running as root; enable-in / disable-in honoured), in p11-kit's order. p11-kit only reads the
  // files and dlopens the libraries; keyward initialises a module only when it is Load()ed.
  static std::vector<RegisteredModule> P11KitRegistered();

  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  ~Module();

  CK_FUNCTION_LIST* fn() const { return fn_; }
  const std::string& path() const { return path_; }
  bool via_get_interface() const { return via_get_interface_; }
  Result<ModuleInfo> Info() const;

 private:
  friend struct ModuleRegistry;
  Module() = default;
  std::string path_;
  void* dl_ = nullptr;
  CK_FUNCTION_LIST* fn_ = nullptr;
  bool via_get_interface_ = false;
  bool finalize_ = false;
};

// Space-padded CK_UTF8CHAR fields (labels, serials) → trimmed std::string.
std::string PaddedToString(const CK_UTF8CHAR* field, size_t size);

}  // namespace keyward::pkcs11

#endif  // KEYWARD_PKCS11_MODULE_H_
