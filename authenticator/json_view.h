// JSON views of the public types (principal, credential, decision, auth result), shared by the
// facade's export and the keyward CLI. Field names are stable and documented in
// docs/authenticator.md.
#ifndef KEYWARD_AUTHENTICATOR_JSON_VIEW_H_
#define KEYWARD_AUTHENTICATOR_JSON_VIEW_H_

#include "core/json.h"
#include "keyward/authenticator.h"

namespace keyward::authenticator {

Json PrincipalJson(const Principal& p);
Json CredentialJson(const Credential& c);
Json DecisionJson(const PolicyDecision& d);
Json AuthResultJson(const AuthResult& r);

}  // namespace keyward::authenticator

#endif  // KEYWARD_AUTHENTICATOR_JSON_VIEW_H_
