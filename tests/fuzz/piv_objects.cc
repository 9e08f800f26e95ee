// Fuzzes the PIV data object parsers: BER-TLV, CHUID, discovery, certificate objects (including
// gzip-compressed certificates, bounded to 64 KiB), the Card Capability Container, the GENERATE
// public key template and GET METADATA responses.
#include "pcsc/piv_objects.h"

#include <cstddef>
#include <cstdint>

#include "pcsc/piv_metadata.h"
#include "pcsc/piv_public_key.h"
#include "pcsc/tlv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keyward::pcsc;
  keyward::ByteSpan in(data, size);
  (void)ParseTlvs(in);
  (void)piv::UnwrapDataObject(in);
  (void)piv::Chuid::Parse(in);
  (void)piv::Discovery::Parse(in);
  if (auto c = piv::CardCapabilityContainer::Parse(in)) {
    if (c->card_identifier.size() != 21) __builtin_trap();
  }
  if (auto m = piv::KeyMetadata::Parse(in)) {
    if (m->public_key) (void)m->public_key->ToEvp();
    (void)m->Encode();
  }
  if (auto c = piv::CertificateObject::Parse(in)) {
    if (c->der.size() > piv::kMaxCertificateSize) __builtin_trap();
  }
  for (auto alg : {piv::Algorithm::kEccP256, piv::Algorithm::kEccP384, piv::Algorithm::kRsa2048}) {
    if (auto k = piv::PivPublicKey::Parse(alg, in)) (void)k->ToEvp();
  }
  return 0;
}
