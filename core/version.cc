#include "keyward/version.h"

namespace keyward {

std::string_view Version() noexcept { return KEYWARD_VERSION_STRING; }

}  // namespace keyward
