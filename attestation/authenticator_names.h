// AAGUID → a human name for the authenticator (and an icon when one is known), for credential
// lists and login results: "Google Password Manager", "Apple Passwords" (iCloud Keychain),
// "YubiKey 5 Series".
//
// Sources, in order: the FIDO Metadata Service entry for the AAGUID (metadataStatement
// description and icon), when a BLOB is given; then the community list of passkey providers
// bundled in attestation/data/aaguids (passkeydeveloper/passkey-authenticator-aaguids, README
// there). The all-zero AAGUID (U2F, or attestation "none" on some platforms) has no name.
//
// Names are looked up when a credential is read, not stored at registration: the lists change
// (new providers, renamed products, a refreshed BLOB), and a looked-up name is always the current
// one, for credentials registered before a provider was listed too. A name is display data only,
// never a trust decision: anyone can put any AAGUID in an unattested credential.
#ifndef KEYWARD_ATTESTATION_AUTHENTICATOR_NAMES_H_
#define KEYWARD_ATTESTATION_AUTHENTICATOR_NAMES_H_

#include <optional>
#include <string>

#include "attestation/metadata.h"

namespace keyward::attestation {

struct AuthenticatorName {
  std::string name;
  std::string icon_light;  // data: URI, "" when unknown (MDS icons fill this one)
  std::string icon_dark;   // data: URI, "" when unknown
  std::string source;      // "mds" | "community"
};

std::optional<AuthenticatorName> LookupAuthenticatorName(const Aaguid& aaguid,
                                                         const MetadataBlob* metadata);
// Entries in the bundled community list (0 when it failed to parse; a test guards it).
size_t CommunityAaguidCount();

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_AUTHENTICATOR_NAMES_H_
