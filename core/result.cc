// ErrorCode names (see include/keyward/error_codes.inc for the stable list).
#include "keyward/result.h"

#include <array>

namespace keyward {
namespace {

struct NamedCode {
  ErrorCode code;
  std::string_view name;
};

constexpr NamedCode kNames[] = {
#define KW_ERROR(name, value, text) {ErrorCode::name, text},
#include "keyward/error_codes.inc"
#undef KW_ERROR
};

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) noexcept {
  for (const auto& n : kNames) {
    if (n.code == code) return n.name;
  }
  return "unknown";
}

std::optional<ErrorCode> ErrorCodeFromName(std::string_view name) noexcept {
  for (const auto& n : kNames) {
    if (n.name == name) return n.code;
  }
  return std::nullopt;
}

std::string Error::ToString() const {
  std::string out(ErrorCodeName(code));
  if (!detail.empty()) {
    out += ": ";
    out += detail;
  }
  return out;
}

}  // namespace keyward
