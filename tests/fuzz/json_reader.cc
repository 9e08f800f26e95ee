// Fuzz target: the hot-path JSON reader (core/json_reader.h). Differential: it must accept
// exactly what the DOM parser (core/json.h, nlohmann with keyward's strictness) accepts, and
// find the same top-level members.
#include <cstdlib>

#include "core/json.h"
#include "core/json_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto fast = keyward::JsonDocument::Parse(text);
  auto dom = keyward::ParseJson(text);
  if (fast.has_value() != dom.has_value()) std::abort();
  if (fast && dom->is_object()) {
    if (fast->root().size() != dom->size()) std::abort();
    for (const auto& [k, v] : dom->items()) {
      auto m = fast->root().Find(k);
      if (!m) std::abort();
      if (v.is_string() && m->string() != v.get_ref<const std::string&>()) std::abort();
    }
  }
  return 0;
}
