// keyward/trust.h: the public value around the trust store (trust_store.h) and a stored FIDO
// MDS3 BLOB (metadata.h).
#include <utility>

#include "attestation/metadata.h"
#include "attestation/trust_store.h"
#include "core/x509.h"
#include "keyward/trust.h"

namespace keyward::attestation {

TrustAnchors::TrustAnchors() : store_(std::make_unique<TrustStore>()) {}
TrustAnchors::~TrustAnchors() = default;

// A copy of the store keeps pointing at the same immutable BLOB, which the copy shares.
TrustAnchors::TrustAnchors(const TrustAnchors& other)
    : store_(std::make_unique<TrustStore>(*other.store_)), metadata_(other.metadata_) {}

TrustAnchors& TrustAnchors::operator=(const TrustAnchors& other) {
  if (this != &other) {
    store_ = std::make_unique<TrustStore>(*other.store_);
    metadata_ = other.metadata_;
  }
  return *this;
}

// A moved-from value is left empty but usable (a fresh store), never with a null store.
TrustAnchors::TrustAnchors(TrustAnchors&& other) noexcept
    : store_(std::exchange(other.store_, nullptr)), metadata_(std::move(other.metadata_)) {}

TrustAnchors& TrustAnchors::operator=(TrustAnchors&& other) noexcept {
  if (this != &other) {
    store_ = std::exchange(other.store_, nullptr);
    metadata_ = std::move(other.metadata_);
  }
  return *this;
}

namespace {

TrustStore& Live(std::unique_ptr<TrustStore>& store) {
  if (store == nullptr) store = std::make_unique<TrustStore>();
  return *store;
}

Result<Certificate> ParseRoot(ByteSpan der) {
  return Certificate::ParseDer(der, CertificateRole::kIssuer);
}

}  // namespace

Result<void> TrustAnchors::AddDirectory(const std::string& dir) {
  return Live(store_).AddDirectory(dir);
}

Result<void> TrustAnchors::AddFile(const std::string& path) { return Live(store_).AddFile(path); }

Result<void> TrustAnchors::AddRootDer(ByteSpan der) {
  KW_ASSIGN_OR_RETURN(Certificate cert, ParseRoot(der));
  Live(store_).AddRoot(std::move(cert));
  return Ok();
}

Result<void> TrustAnchors::AddRootDerForFormat(std::string_view fmt, ByteSpan der) {
  if (fmt.empty()) return Fail(ErrorCode::kInvalidArgument, "empty attestation format");
  KW_ASSIGN_OR_RETURN(Certificate cert, ParseRoot(der));
  Live(store_).AddRootForFormat(std::string(fmt), std::move(cert));
  return Ok();
}

Result<void> TrustAnchors::AddRootDerForAaguid(const Aaguid& aaguid, ByteSpan der) {
  KW_ASSIGN_OR_RETURN(Certificate cert, ParseRoot(der));
  Live(store_).AddRootForAaguid(aaguid, std::move(cert));
  return Ok();
}

Result<void> TrustAnchors::AddCrlFile(const std::string& path) {
  return Live(store_).AddCrlFile(path);
}

void TrustAnchors::SetUseBundledRoots(bool use) { Live(store_).SetUseBundledRoots(use); }

Result<void> TrustAnchors::LoadMetadata(const std::string& stored_blob_path) {
  KW_ASSIGN_OR_RETURN(MetadataBlob blob, MetadataBlob::LoadStored(stored_blob_path));
  auto shared = std::make_shared<const MetadataBlob>(std::move(blob));
  Live(store_).SetMetadata(shared.get());
  metadata_ = std::move(shared);
  return Ok();
}

bool TrustAnchors::has_metadata() const { return metadata_ != nullptr; }
int64_t TrustAnchors::metadata_serial() const { return metadata_ ? metadata_->serial() : 0; }
std::string TrustAnchors::metadata_next_update() const {
  return metadata_ ? metadata_->next_update() : std::string();
}
size_t TrustAnchors::metadata_entries() const { return metadata_ ? metadata_->size() : 0; }
bool TrustAnchors::metadata_stale_at(int64_t unix_time) const {
  return metadata_ != nullptr && metadata_->IsStaleAt(unix_time);
}

size_t TrustAnchors::anchor_count() const { return store_ ? store_->anchor_count() : 0; }

const TrustStore& TrustAnchors::store() const { return store_ ? *store_ : DefaultTrustStore(); }

}  // namespace keyward::attestation
