// C ABI: keyward_trust (keyward/trust.h underneath).
#include "capi/trust.h"

#include <string>

#include "capi/c_api.h"

using keyward::Result;
using keyward::capi::Arg;
using keyward::capi::Guard;
using keyward::capi::NullArgument;

extern "C" {

int keyward_trust_new(keyward_trust** trust_out, keyward_error* err) {
  if (trust_out != nullptr) *trust_out = nullptr;
  return Guard(err, [&]() -> Result<void> {
    if (trust_out == nullptr) return NullArgument("trust_out");
    auto t = std::make_unique<keyward_trust>();
    t->state = std::make_shared<keyward::capi::TrustState>();
    *trust_out = t.release();
    return keyward::Ok();
  });
}

void keyward_trust_free(keyward_trust* trust) { delete trust; }

int keyward_trust_add_directory(keyward_trust* trust, const char* dir, keyward_error* err) {
  return Guard(err, [&]() -> Result<void> {
    if (trust == nullptr) return NullArgument("trust");
    KW_ASSIGN_OR_RETURN(auto d, Arg(dir, "dir"));
    return trust->state->anchors.AddDirectory(std::string(d));
  });
}

int keyward_trust_add_file(keyward_trust* trust, const char* path, keyward_error* err) {
  return Guard(err, [&]() -> Result<void> {
    if (trust == nullptr) return NullArgument("trust");
    KW_ASSIGN_OR_RETURN(auto p, Arg(path, "path"));
    return trust->state->anchors.AddFile(std::string(p));
  });
}

int keyward_trust_add_root_der(keyward_trust* trust, const uint8_t* der, size_t der_len,
                               keyward_error* err) {
  return Guard(err, [&]() -> Result<void> {
    if (trust == nullptr) return NullArgument("trust");
    if (der == nullptr) return NullArgument("der");
    return trust->state->anchors.AddRootDer(keyward::ByteSpan(der, der_len));
  });
}

int keyward_trust_load_mds(keyward_trust* trust, const char* store_path, keyward_error* err) {
  return Guard(err, [&]() -> Result<void> {
    if (trust == nullptr) return NullArgument("trust");
    KW_ASSIGN_OR_RETURN(auto p, Arg(store_path, "store_path"));
    return trust->state->anchors.LoadMetadata(std::string(p));
  });
}

size_t keyward_trust_anchor_count(const keyward_trust* trust) {
  if (trust == nullptr) return 0;
  return trust->state->anchors.anchor_count();
}

}  // extern "C"
