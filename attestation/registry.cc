#include "attestation/registry.h"

#include <memory>

#include "attestation/android_key_format.h"
#include "attestation/apple_format.h"
#include "attestation/compound_format.h"
#include "attestation/fido_u2f_format.h"
#include "attestation/none_format.h"
#include "attestation/packed_format.h"
#include "attestation/safetynet_format.h"
#include "attestation/tpm_format.h"

namespace keyward::attestation {
namespace {

const std::vector<std::unique_ptr<AttestationFormat>>& Formats() {
  static const auto* formats = [] {
    auto* v = new std::vector<std::unique_ptr<AttestationFormat>>();
    v->push_back(std::make_unique<NoneFormat>());
    v->push_back(std::make_unique<PackedFormat>());
    v->push_back(std::make_unique<FidoU2fFormat>());
    v->push_back(std::make_unique<TpmFormat>());
    v->push_back(std::make_unique<AndroidKeyFormat>());
    v->push_back(std::make_unique<AppleFormat>());
    v->push_back(std::make_unique<SafetyNetFormat>());
    v->push_back(std::make_unique<CompoundFormat>());
    return v;
  }();
  return *formats;
}

}  // namespace

const AttestationFormat* FindFormat(std::string_view fmt) {
  for (const auto& f : Formats()) {
    if (f->name() == fmt) return f.get();
  }
  return nullptr;
}

std::vector<std::string_view> SupportedFormats() {
  std::vector<std::string_view> out;
  for (const auto& f : Formats()) out.push_back(f->name());
  return out;
}

}  // namespace keyward::attestation
