// The vendor roots keyward trusts out of the box (attestation/data/, README there names each
// file's source and SHA-256): Apple WebAuthn Root CA for `apple`; the Google Hardware Attestation
// roots (four issues of the RSA-4096 root and the ECDSA P-384 "Key Attestation CA1" that RKP
// devices chain to since 2026) for `android-key`; GlobalSign Root CA, GlobalSign Root CA - R2 and
// GTS Root R1 (the chains attest.android.com was issued under) for `android-safetynet`; GlobalSign
// Root CA - R3 for the FIDO Metadata Service BLOB (purpose "mds").
//
// Invariants: the PEM files are embedded at build time (embed_data.cmake); at first use each is
// parsed and its SHA-256 compared with the fingerprint recorded here, which is the one the vendor
// publishes (checked against two independent sources when the file was added). A file that does
// not parse or whose fingerprint differs is never trusted: BundledRoots() then fails with
// kInternal and the roots of that build are unusable (a unit test guards it).
#ifndef KEYWARD_ATTESTATION_BUNDLED_ROOTS_H_
#define KEYWARD_ATTESTATION_BUNDLED_ROOTS_H_

#include <span>
#include <string_view>
#include <vector>

#include "core/x509.h"
#include "keyward/result.h"

namespace keyward::attestation {

struct BundledRoot {
  std::string_view purpose;  // "apple" | "android-key" | "android-safetynet" | "mds"
  std::string_view name;     // e.g. "Apple WebAuthn Root CA"
  std::string_view file;    // path under attestation/data/, e.g. "apple/apple-webauthn-root-ca.pem"
  std::string_view sha256;  // lower-case hex SHA-256 of the DER, as the vendor publishes it
  Certificate certificate;
};

// Every bundled root, parsed and fingerprint-checked once (thread-safe).
Result<std::span<const BundledRoot>> BundledRoots();
// The certificates bundled for one purpose (an attestation fmt or "mds"); empty for others or
// when the bundle is unusable.
std::vector<Certificate> BundledRootsFor(std::string_view purpose);
// The purposes bundled roots serve, in display order.
std::span<const std::string_view> BundledRootPurposes();

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_BUNDLED_ROOTS_H_
