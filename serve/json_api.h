// Request-body helpers and the JSON views shared by the /api, /v1 and conformance routes. Each
// helper that fails has already written the error answer (json_malformed, json_missing_field,
// json_wrong_type, not_found) into the response; the caller just returns.
#ifndef KEYWARD_SERVE_JSON_API_H_
#define KEYWARD_SERVE_JSON_API_H_

#include <optional>
#include <string>
#include <string_view>

#include "core/json.h"
#include "keyward/authenticator.h"
#include "serve/http_types.h"

namespace keyward::serve {

// The body as a JSON object (strict parser: duplicate members refused). An empty body is {}.
std::optional<Json> ParseBodyObject(const HttpRequest& req, HttpResponse& resp);
std::optional<std::string_view> ReqString(const Json& obj, const char* key, HttpResponse& resp);
std::optional<const Json*> ReqObject(const Json& obj, const char* key, HttpResponse& resp);
// Present-or-absent members: the outer optional is empty after an error answer.
std::optional<std::optional<std::string_view>> OptString(const Json& obj, const char* key,
                                                         HttpResponse& resp);
std::optional<std::optional<bool>> OptBool(const Json& obj, const char* key, HttpResponse& resp);

// UserView / CredentialView of docs/serve-browser-api.md.
Json UserView(const authenticator::Principal& p);
Json CredentialView(const authenticator::Credential& c);
std::string AaguidString(const authenticator::Credential& c);
// {"requiredAal","satisfyingKinds","reason"} of a step-up decision.
Json StepUpExtra(const authenticator::PolicyDecision& d);
// The principal's credential with this base64url id; answers 404 not_found otherwise (also for a
// credential of another principal: no difference visible).
std::optional<authenticator::Credential> OwnedCredential(authenticator::Authenticator& auth,
                                                         const std::string& principal_id,
                                                         std::string_view id_b64url,
                                                         HttpResponse& resp);

}  // namespace keyward::serve

#endif  // KEYWARD_SERVE_JSON_API_H_
