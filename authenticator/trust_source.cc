#include "authenticator/trust_source.h"

#include "attestation/authenticator_names.h"

namespace keyward::authenticator {

Result<std::unique_ptr<TrustSource>> TrustSource::Open(const AuthenticatorConfig& config) {
  std::unique_ptr<TrustSource> s(new TrustSource());
  s->caller_ = config.attestation_trust;
  s->bundled_ = config.attestation_bundled_roots;
  if (config.mds_source) {
    if (config.mds_background_refresh || !config.mds_store_path.empty()) {
      return Fail(ErrorCode::kConfigInvalid,
                  "mds_source excludes mds_store_path and mds_background_refresh");
    }
    s->source_ = config.mds_source;
  } else if (config.mds_background_refresh) {
    if (config.mds_store_path.empty()) {
      return Fail(ErrorCode::kConfigInvalid, "mds_background_refresh needs mds_store_path");
    }
    attestation::MdsRefresher::Options o;
    o.fetch.url = config.mds_url.empty() ? attestation::kDefaultMdsUrl : config.mds_url;
    o.fetch.store_path = config.mds_store_path;
    o.fetch.http.tls_ca_file = config.mds_tls_ca_file;
    o.clock = config.clock;
    auto r = attestation::MdsRefresher::Start(std::move(o));
    if (!r) return Fail(ErrorCode::kConfigInvalid, "MDS refresher: " + r.error().ToString());
    s->refresher_ = std::move(*r);
  } else if (!config.mds_store_path.empty()) {
    auto blob = attestation::MetadataBlob::LoadStored(config.mds_store_path);
    if (!blob) {
      return Fail(ErrorCode::kConfigInvalid, "mds_store_path: " + blob.error().ToString());
    }
    s->fixed_ = std::make_shared<const attestation::MetadataBlob>(std::move(*blob));
  }
  return s;
}

std::shared_ptr<const attestation::MetadataBlob> TrustSource::Metadata() const {
  if (source_) return source_();
  return refresher_ ? refresher_->Current() : fixed_;
}

void TrustSource::Current(Use* use) const {
  use->blob = Metadata();
  if (!use->blob && (caller_ != nullptr || bundled_)) {
    use->store = caller_;  // null: the bundled roots (attestation::DefaultTrustStore)
    return;
  }
  use->owned.emplace(caller_ ? *caller_ : attestation::TrustStore());
  if (!caller_) use->owned->SetUseBundledRoots(bundled_);
  if (use->blob) use->owned->SetMetadata(use->blob.get());
  use->store = &*use->owned;
}

void TrustSource::Name(Credential* credential) const {
  credential->authenticator_name.clear();
  credential->authenticator_icon.clear();
  if (!credential->aaguid) return;
  auto blob = Metadata();
  auto name = attestation::LookupAuthenticatorName(*credential->aaguid, blob.get());
  if (!name) return;
  credential->authenticator_name = name->name;
  credential->authenticator_icon = name->icon_light;
}

std::string TrustSource::MetricsText() const {
  return refresher_ ? refresher_->MetricsText() : std::string();
}

}  // namespace keyward::authenticator
