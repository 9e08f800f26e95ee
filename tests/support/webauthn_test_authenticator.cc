#include "tests/support/webauthn_test_authenticator.h"

#include "core/base64url.h"
#include "core/cbor_writer.h"
#include "core/hash.h"
#include "core/json.h"

namespace keyward::testing {
namespace {

void Append(Bytes& out, ByteSpan b) { out.insert(out.end(), b.begin(), b.end()); }
void AppendU32(Bytes& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}

}  // namespace

TestAuthenticator::TestAuthenticator(CoseAlgorithm alg) : key_(TestKey::Generate(alg)) {
  Sha256Digest d = Sha256(key_.CoseBytes());
  credential_id_.assign(d.begin(), d.end());
}

std::string TestAuthenticator::ClientDataJson(const ClientDataSpec& c) {
  std::string j = R"({"type":")" + c.type + R"(","challenge":")" + Base64UrlEncode(c.challenge) +
                  R"(","origin":")" + c.origin + "\"";
  if (c.cross_origin) j += std::string(R"(,"crossOrigin":)") + (*c.cross_origin ? "true" : "false");
  if (c.top_origin) j += R"(,"topOrigin":")" + *c.top_origin + "\"";
  j += c.extra_members + "}";
  return j;
}

webauthn::RegistrationResponse TestAuthenticator::Register(const RegistrationSpec& spec) const {
  Bytes cred_id = spec.credential_id.empty() ? credential_id_ : spec.credential_id;
  Bytes auth_data;
  Append(auth_data, Sha256(AsBytes(spec.rp_id)));
  auth_data.push_back(spec.flags);
  AppendU32(auth_data, spec.sign_count);
  if (spec.flags & 0x40) {
    Append(auth_data, spec.aaguid);
    auth_data.push_back(static_cast<uint8_t>(cred_id.size() >> 8));
    auth_data.push_back(static_cast<uint8_t>(cred_id.size()));
    Append(auth_data, cred_id);
    Append(auth_data, key_.CoseBytes());
  }
  Append(auth_data, spec.extensions_cbor);
  Append(auth_data, spec.trailing);

  std::string cdj = ClientDataJson(spec.client);
  Sha256Digest cdh = Sha256(AsBytes(cdj));
  Bytes signed_data = auth_data;
  Append(signed_data, cdh);

  CborWriter w;
  // Canonical key order: "fmt" (3), "attStmt" (7), "authData" (8).
  w.Map(3).Text("fmt").Text(spec.format == TestFormat::kNone ? "none" : "packed").Text("attStmt");
  if (spec.format == TestFormat::kNone) {
    w.Map(0);
  } else {
    const TestKey& signer = spec.format == TestFormat::kPackedSelf ? key_ : *spec.attestation_key;
    Bytes sig = signer.Sign(signed_data);
    if (spec.corrupt_signature) sig[sig.size() / 2] ^= 0x01;
    int64_t alg = spec.statement_alg.value_or(static_cast<int64_t>(signer.alg()));
    w.Map(spec.format == TestFormat::kPackedFull ? 3 : 2).Text("alg").Int(alg).Text("sig").Bytes(sig);
    if (spec.format == TestFormat::kPackedFull) {
      w.Text("x5c").Array(spec.x5c.size());
      for (const auto& c : spec.x5c) w.Bytes(c.der());
    }
  }
  w.Text("authData").Bytes(auth_data);

  webauthn::RegistrationResponse r;
  r.id = cred_id;
  r.raw_id = cred_id;
  r.client_data_json = cdj;
  r.attestation_object = w.Take();
  r.transports = {"usb"};
  return r;
}

webauthn::AuthenticationResponse TestAuthenticator::Assert(const AssertionSpec& spec) const {
  Bytes auth_data;
  Append(auth_data, Sha256(AsBytes(spec.rp_id)));
  auth_data.push_back(spec.flags);
  AppendU32(auth_data, spec.sign_count);
  Append(auth_data, spec.extensions_cbor);
  std::string cdj = ClientDataJson(spec.client);
  Sha256Digest cdh = Sha256(AsBytes(cdj));
  Bytes signed_data = auth_data;
  Append(signed_data, cdh);
  Bytes sig = key_.Sign(signed_data);
  if (spec.corrupt_signature) sig[sig.size() / 2] ^= 0x01;
  webauthn::AuthenticationResponse r;
  r.id = credential_id_;
  r.raw_id = credential_id_;
  r.client_data_json = cdj;
  r.authenticator_data = auth_data;
  r.signature = sig;
  r.user_handle = spec.user_handle;
  return r;
}

std::string TestAuthenticator::ToJson(const webauthn::RegistrationResponse& r) {
  Json j = {{"id", Base64UrlEncode(r.id)},
            {"rawId", Base64UrlEncode(r.raw_id)},
            {"type", "public-key"},
            {"response",
             {{"clientDataJSON", Base64UrlEncode(AsBytes(r.client_data_json))},
              {"attestationObject", Base64UrlEncode(r.attestation_object)},
              {"transports", r.transports}}},
            {"clientExtensionResults", Json::object()}};
  return j.dump();
}

std::string TestAuthenticator::ToJson(const webauthn::AuthenticationResponse& r) {
  Json resp = {{"clientDataJSON", Base64UrlEncode(AsBytes(r.client_data_json))},
               {"authenticatorData", Base64UrlEncode(r.authenticator_data)},
               {"signature", Base64UrlEncode(r.signature)}};
  if (r.user_handle) resp["userHandle"] = Base64UrlEncode(*r.user_handle);
  Json j = {{"id", Base64UrlEncode(r.id)},
            {"rawId", Base64UrlEncode(r.raw_id)},
            {"type", "public-key"},
            {"response", resp},
            {"clientExtensionResults", Json::object()}};
  if (r.appid_extension) j["clientExtensionResults"]["appid"] = *r.appid_extension;
  return j.dump();
}

CertSpec TestAttestationCa::ConformingLeafSpec() {
  CertSpec s;
  s.subject = {{"C", "AA"}, {"O", "keyward tests"}, {"OU", "Authenticator Attestation"},
               {"CN", "keyward test batch"}};
  return s;
}

namespace {
CertSpec RootSpec(const std::string& cn) {
  CertSpec ca;
  ca.subject = {{"C", "AA"}, {"O", "keyward tests"}, {"CN", cn}};
  ca.is_ca = true;
  return ca;
}
}  // namespace

TestAttestationCa::TestAttestationCa(std::optional<CertSpec> leaf_spec, const std::string& root_cn)
    : ca_cert(IssueCertificate(ca_key, RootSpec(root_cn), nullptr, nullptr)),
      leaf_cert(IssueCertificate(leaf_key, leaf_spec.value_or(ConformingLeafSpec()), &ca_key,
                                 &ca_cert)) {}

}  // namespace keyward::testing
