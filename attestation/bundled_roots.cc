#include "attestation/bundled_roots.h"

#include <array>
#include <mutex>
#include <optional>

#include "core/bytes.h"

namespace keyward::attestation {
namespace {

// Plain pointers: a constexpr string_view over a large literal exceeds the compiler's constexpr
// step limit; the lengths are taken at run time.
struct EmbeddedFile {
  const char* file;
  const char* pem;
};

const EmbeddedFile kEmbedded[] = {
#include "bundled_roots_pem.inc"
};

struct Manifest {
  std::string_view purpose, name, file, sha256;
};

// The fingerprints below are the vendors' published SHA-256 values (attestation/data/README.md).
constexpr Manifest kManifest[] = {
    {"apple", "Apple WebAuthn Root CA", "apple/apple-webauthn-root-ca.pem",
     "0915dd5c07a28db549d1f677bb5a75d4bfbe9561a773424327762e9e02f9bb29"},
    {"android-key", "Google Hardware Attestation Root (RSA-4096, 2016-2026)",
     "android-key/google-hardware-attestation-root-2016.pem",
     "c1984a3ef45c1e2a918551de10603c86f7051b2249c4891cae3230eabd0c97d5"},
    {"android-key", "Google Hardware Attestation Root (RSA-4096, 2019-2034)",
     "android-key/google-hardware-attestation-root-2019.pem",
     "1ef1a04b8ba58ab94589ac498c8982a783f24ea7307e0159a0c3a73b377d87cc"},
    {"android-key", "Google Hardware Attestation Root (RSA-4096, 2021-2036)",
     "android-key/google-hardware-attestation-root-2021.pem",
     "ab6641178a36e179aa0c1cdddf9a16eb45fa20943e2b8cd7c7c05c26cf8b487a"},
    {"android-key", "Google Hardware Attestation Root (RSA-4096, 2022-2042)",
     "android-key/google-hardware-attestation-root-2022.pem",
     "cedb1cb6dc896ae5ec797348bce9286753c2b38ee71ce0fbe34a9a1248800dfc"},
    {"android-key", "Google Key Attestation CA1 (ECDSA P-384, RKP root since 2026)",
     "android-key/google-key-attestation-ca1.pem",
     "6d9db4ce6c5c0b293166d08986e05774a8776ceb525d9e4329520de12ba4bcc0"},
    {"android-safetynet", "GlobalSign Root CA", "android-safetynet/globalsign-root-ca.pem",
     "ebd41040e4bb3ec742c9e381d31ef2a41a48b6685c96e7cef3c1df6cd4331c99"},
    {"android-safetynet", "GlobalSign Root CA - R2", "android-safetynet/globalsign-root-ca-r2.pem",
     "69e2d06c30f366166165e91d68d1cee5cc47584a80227e76666086c0107241eb"},
    {"android-safetynet", "GTS Root R1", "android-safetynet/gts-root-r1.pem",
     "d947432abde7b7fa90fc2e6b59101b1280e0e1c7e4e40fa3c6887fff57a7f4cf"},
    {"mds", "GlobalSign Root CA - R3", "mds/globalsign-root-ca-r3.pem",
     "cbb522d7b7f127ad6a0113865bdf1cd4102e7d0759af635a7cf4720dc963c53b"},
};

constexpr std::array<std::string_view, 4> kPurposes = {"apple", "android-key", "android-safetynet",
                                                       "mds"};

Result<std::vector<BundledRoot>> Load() {
  if (std::size(kEmbedded) != std::size(kManifest)) {
    return Fail(ErrorCode::kInternal,
                "bundled roots: attestation/data holds " + std::to_string(std::size(kEmbedded)) +
                    " files, the manifest names " + std::to_string(std::size(kManifest)));
  }
  std::vector<BundledRoot> out;
  for (const Manifest& m : kManifest) {
    const EmbeddedFile* file = nullptr;
    for (const EmbeddedFile& e : kEmbedded) {
      if (std::string_view(e.file) == m.file) file = &e;
    }
    if (file == nullptr) {
      return Fail(ErrorCode::kInternal, "bundled roots: " + std::string(m.file) + " missing");
    }
    auto certs = Certificate::ParsePem(file->pem);
    if (!certs || certs->size() != 1) {
      return Fail(ErrorCode::kInternal,
                  "bundled roots: " + std::string(m.file) + " is not one PEM certificate");
    }
    Certificate cert = std::move(certs->front());
    if (HexEncode(cert.Fingerprint()) != m.sha256) {
      return Fail(ErrorCode::kInternal, "bundled roots: " + std::string(m.file) +
                                            " does not have SHA-256 " + std::string(m.sha256));
    }
    out.push_back(BundledRoot{m.purpose, m.name, m.file, m.sha256, std::move(cert)});
  }
  return out;
}

}  // namespace

Result<std::span<const BundledRoot>> BundledRoots() {
  static const Result<std::vector<BundledRoot>> loaded = Load();
  if (!loaded) return Unexpected(loaded.error());
  return std::span<const BundledRoot>(*loaded);
}

std::vector<Certificate> BundledRootsFor(std::string_view purpose) {
  std::vector<Certificate> out;
  auto roots = BundledRoots();
  if (!roots) return out;
  for (const BundledRoot& r : *roots) {
    if (r.purpose == purpose) out.push_back(r.certificate);
  }
  return out;
}

std::span<const std::string_view> BundledRootPurposes() { return kPurposes; }

}  // namespace keyward::attestation
