#include "pkcs11/card_login.h"

#include <unistd.h>

#include <climits>

namespace keyward::pkcs11 {
namespace {

std::string HostName() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

std::string KeyTypeName(EVP_PKEY* key) {
  if (!key) return "other";
  switch (EVP_PKEY_base_id(key)) {
    case EVP_PKEY_RSA:
      return "rsa";
    case EVP_PKEY_EC:
      return "ec";
    default:
      return "other";
  }
}

}  // namespace

Result<TokenSelector> ParseTokenSelector(const std::string& label_or_uri) {
  if (label_or_uri.empty()) return TokenSelector{};
  if (label_or_uri.rfind("pkcs11:", 0) == 0) {
    KW_ASSIGN_OR_RETURN(Pkcs11Uri uri, Pkcs11Uri::Parse(label_or_uri));
    return TokenSelector::FromUri(uri);
  }
  TokenSelector s;
  s.label = label_or_uri;
  return s;
}

Result<LoginResponse> SignChallenge(Session& session, const CertificateObject& cert,
                                    const PrivateKeyObject& key, const LoginChallenge& challenge,
                                    std::optional<SignScheme> scheme) {
  KW_ASSIGN_OR_RETURN(TokenSignature sig,
                      SignMessage(session, key, challenge.SignedMessage(), scheme));
  LoginResponse r;
  r.nonce = challenge.nonce;
  r.certificate_der = ToBytes(cert.certificate.der());
  r.signature = std::move(sig.signature);
  r.algorithm = sig.algorithm;
  r.format = sig.format;
  bool hw_slot = session.token().slot.hardware;
  bool generated_on_token = key.never_extractable && key.always_sensitive;
  r.hardware_bound_key = hw_slot && generated_on_token;
  r.key_storage = std::string(hw_slot ? "hardware slot" : "software slot") +
                  (generated_on_token ? ", key never extractable" : ", key origin unknown") +
                  ", token \"" + session.token().label + "\"";
  return r;
}

Result<LoginResult> RunCardLogin(const CardLoginRequest& request, LoginVerifier& verifier) {
  int64_t now = request.now ? request.now : UnixNow();
  std::string host = request.relying_host.empty() ? HostName() : request.relying_host;
  KW_ASSIGN_OR_RETURN(auto module, Module::Load(request.module_path));
  KW_ASSIGN_OR_RETURN(TokenInfo token, SelectToken(*module, request.token));
  KW_ASSIGN_OR_RETURN(Session session, Session::Open(module, token));
  KW_ASSIGN_OR_RETURN(auto certs, session.FindCertificates());

  std::optional<Error> first_validation_error;
  bool some_validated = false;
  std::vector<size_t> candidates;
  for (size_t i = 0; i < certs.size(); ++i) {
    if (certs[i].certificate.IsCa().value_or(false)) continue;
    auto eval = verifier.Evaluate(certs[i].certificate, now);
    if (eval) {
      candidates.push_back(i);
      continue;
    }
    if (eval.error().code == ErrorCode::kMappingNoMatch) {
      some_validated = true;
    } else if (!first_validation_error) {
      first_validation_error = eval.error();
    }
  }
  if (candidates.empty()) {
    if (some_validated)
      return Fail(ErrorCode::kMappingNoMatch, "no certificate maps to an account");
    if (first_validation_error) return Fail(*first_validation_error);
    return Fail(ErrorCode::kLoginNoUsableCertificate, "token holds no login certificate");
  }

  if (request.use_protected_path) {
    KW_TRY(session.LoginProtectedPath());
  } else {
    if (request.pin.empty()) return Fail(ErrorCode::kPinRequired, "a PIN is required");
    KW_TRY(session.Login(request.pin));
  }

  std::optional<Error> key_error;
  for (size_t i : candidates) {
    auto key = session.FindPrivateKeyFor(certs[i]);
    if (!key) {
      if (key.error().code != ErrorCode::kPkcs11ObjectNotFound) return Fail(key.error());
      if (!key_error) key_error = key.error();
      continue;
    }
    KW_ASSIGN_OR_RETURN(LoginChallenge challenge,
                        verifier.IssueChallenge(request.context, host, now));
    KW_ASSIGN_OR_RETURN(LoginResponse response,
                        SignChallenge(session, certs[i], *key, challenge, request.scheme));
    KW_ASSIGN_OR_RETURN(LoginResult result, verifier.Verify(response, request.context, host, now));
    result.token_label = token.label;
    KW_ASSIGN_OR_RETURN(auto mechs, session.Mechanisms());
    auto scheme = ChooseScheme(key->key_type, mechs, request.scheme);
    if (scheme) result.mechanism = std::string(SignSchemeName(*scheme));
    return result;
  }
  return Fail(ErrorCode::kLoginNoUsableCertificate, "no private key for any login certificate");
}

TokenSummary SummarizeToken(const TokenInfo& t) {
  TokenSummary s;
  s.slot_id = t.slot.id;
  s.slot_description = t.slot.description;
  s.label = t.label;
  s.manufacturer = t.manufacturer;
  s.model = t.model;
  s.serial = t.serial;
  s.hardware_slot = t.slot.hardware;
  s.removable = t.slot.removable;
  s.token_initialized = t.token_initialized;
  s.login_required = t.login_required;
  s.protected_authentication_path = t.protected_authentication_path;
  s.pin_count_low = t.pin.count_low;
  s.pin_final_try = t.pin.final_try;
  s.pin_locked = t.pin.locked;
  return s;
}

std::vector<RegisteredModule> RegisteredModules() { return Module::P11KitRegistered(); }

Result<std::vector<TokenSummary>> ListModuleTokens(const std::string& module_path) {
  KW_ASSIGN_OR_RETURN(auto module, Module::Load(module_path));
  KW_ASSIGN_OR_RETURN(auto tokens, ListTokens(*module));
  std::vector<TokenSummary> out;
  for (const TokenInfo& t : tokens) out.push_back(SummarizeToken(t));
  return out;
}

Result<std::vector<TokenCertificateSummary>> ListTokenCertificates(const std::string& module_path,
                                                                   const std::string& token) {
  KW_ASSIGN_OR_RETURN(auto module, Module::Load(module_path));
  KW_ASSIGN_OR_RETURN(TokenSelector selector, ParseTokenSelector(token));
  std::vector<TokenInfo> tokens;
  if (token.empty()) {
    KW_ASSIGN_OR_RETURN(tokens, ListTokens(*module));
  } else {
    KW_ASSIGN_OR_RETURN(TokenInfo t, SelectToken(*module, selector));
    tokens.push_back(std::move(t));
  }
  std::vector<TokenCertificateSummary> out;
  for (const TokenInfo& t : tokens) {
    KW_ASSIGN_OR_RETURN(Session session, Session::Open(module, t));
    KW_ASSIGN_OR_RETURN(auto certs, session.FindCertificates());
    for (const CertificateObject& c : certs) {
      TokenCertificateSummary s;
      s.token_label = t.label;
      s.object_label = c.label;
      s.id_hex = HexEncode(c.id);
      s.certificate = Summarize(c.certificate);
      EVP_PKEY* key = c.certificate.public_key();
      s.key_type = KeyTypeName(key);
      s.key_bits = key ? EVP_PKEY_get_bits(key) : 0;
      s.is_ca = c.certificate.IsCa().value_or(false);
      out.push_back(std::move(s));
    }
  }
  return out;
}

Result<LoginResult> CardLogin(const CardLoginOptions& options, std::span<const uint8_t> pin) {
  KW_ASSIGN_OR_RETURN(CertificatePolicy policy,
                      CertificatePolicy::FromFiles(options.ca_files, options.crl_files));
  policy.accepted_ekus = options.accepted_ekus;
  if (options.ocsp) {
    OcspOptions o;
    o.url = options.ocsp_url;
    o.timeout_seconds = options.ocsp_timeout_seconds;
    o.cache_dir = options.ocsp_cache_dir;
    policy.ocsp = o;
    policy.ocsp_failure = options.ocsp_failure;
  }
  MappingRules rules = MappingRules::Default();
  if (!options.rules_file.empty()) {
    KW_ASSIGN_OR_RETURN(rules, MappingRules::LoadFile(options.rules_file));
  }
  LoginVerifier verifier(std::move(policy), std::move(rules),
                         std::make_shared<ChallengeRegistry>());
  CardLoginRequest req;
  KW_ASSIGN_OR_RETURN(req.module_path, ModuleForToken(options.module_path, options.token));
  if (req.module_path.empty()) {
    return Fail(ErrorCode::kPkcs11ModuleLoadFailed,
                "no PKCS#11 module: give one, or module-path / module-name in the token URI");
  }
  KW_ASSIGN_OR_RETURN(req.token, ParseTokenSelector(options.token));
  req.pin = SecretBytes(pin);
  req.use_protected_path = options.use_protected_path;
  req.context = options.context;
  req.relying_host = options.relying_host;
  req.now = options.verify_time;
  return RunCardLogin(req, verifier);
}

}  // namespace keyward::pkcs11
