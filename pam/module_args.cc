#include "pam/module_args.h"

#include <charconv>

namespace keyward::pam {

Result<ModuleArgs> ParseModuleArgs(const std::vector<std::string>& args, bool test_hooks) {
  ModuleArgs out;
  bool seen_config = false, seen_service = false, seen_log = false, seen_device = false,
       seen_clock = false;
  for (const std::string& a : args) {
    size_t eq = a.find('=');
    std::string key = a.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : a.substr(eq + 1);
    auto once = [&](bool& seen) -> Result<void> {
      if (seen) return Fail(ErrorCode::kPamModuleArgumentInvalid, key + " given twice");
      if (value.empty()) return Fail(ErrorCode::kPamModuleArgumentInvalid, key + " needs a value");
      seen = true;
      return {};
    };
    if (key == "config") {
      KW_TRY(once(seen_config));
      if (value.front() != '/')
        return Fail(ErrorCode::kPamModuleArgumentInvalid, "config= takes an absolute path");
      out.config = value;
    } else if (key == "service") {
      KW_TRY(once(seen_service));
      out.service = value;
    } else if (test_hooks && key == "test_log") {
      KW_TRY(once(seen_log));
      out.test_log = value;
    } else if (test_hooks && key == "test_fido_device") {
      KW_TRY(once(seen_device));
      out.test_fido_device = value;
    } else if (test_hooks && key == "test_clock_offset") {
      KW_TRY(once(seen_clock));
      int64_t v = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || p != value.data() + value.size() || v < 0 || v > 100000000)
        return Fail(ErrorCode::kPamModuleArgumentInvalid, "test_clock_offset: 0..100000000");
      out.test_clock_offset = v;
    } else {
      return Fail(ErrorCode::kPamModuleArgumentInvalid,
                  "unknown module argument '" + key.substr(0, 64) + "'");
    }
  }
  return out;
}

}  // namespace keyward::pam
