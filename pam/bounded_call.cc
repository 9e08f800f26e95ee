#include "pam/bounded_call.h"

#include <dlfcn.h>

namespace keyward::pam {

void PinThisModule() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&PinThisModule), &info) == 0 || !info.dli_fname) return;
  // The handle is deliberately never closed: the object stays until the process exits.
  (void)dlopen(info.dli_fname, RTLD_NOW | RTLD_NODELETE | RTLD_NOLOAD);
}

}  // namespace keyward::pam
