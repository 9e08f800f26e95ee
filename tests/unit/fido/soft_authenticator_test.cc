// The software authenticator answered directly at the CTAP level (no libfido2): strict request
// parsing and pinUvAuthToken permission checks give the status a real key gives (CTAP 2.1 §8.2).
#include "tools/softctap/soft_authenticator.h"

#include <gtest/gtest.h>

#include "core/cbor.h"
#include "core/cbor_writer.h"
#include "core/hash.h"
#include "tools/softctap/ctap_status.h"
#include "tools/softctap/pin_uv_auth_protocol.h"
#include "tools/softctap/soft_crypto.h"

namespace keyward::softctap {
namespace {

Bytes Cmd(uint8_t cmd, const Bytes& cbor) {
  Bytes out{cmd};
  out.insert(out.end(), cbor.begin(), cbor.end());
  return out;
}

// A minimal CTAP2 platform for the PIN protocol.
class RawClient {
 public:
  explicit RawClient(SoftAuthenticator& a) : a_(a) {}

  Bytes Call(uint8_t cmd, const Bytes& cbor) { return a_.Handle(Cmd(cmd, cbor), up_); }
  uint8_t Status(uint8_t cmd, const Bytes& cbor) { return Call(cmd, cbor).at(0); }

  // getKeyAgreement + ECDH; sets shared_ and platform_key_.
  void Agree(int64_t protocol) {
    CborWriter w;
    w.Map(2).Uint(1).Int(protocol).Uint(2).Uint(2);
    Bytes r = Call(ctap_cmd::kClientPin, w.Take());
    ASSERT_EQ(r.at(0), ctap::kOk);
    auto d = DecodeCbor(ByteSpan(r).subspan(1));
    ASSERT_TRUE(d);
    CborItem key = d->item.Find(1);
    auto x = key.Find(-2).GetBytes();
    auto y = key.Find(-3).GetBytes();
    ASSERT_TRUE(x && y);
    auto platform = EcdhKey::Generate();
    ASSERT_TRUE(platform);
    auto z = platform->SharedX(*x, *y);
    ASSERT_TRUE(z);
    proto_ = PinUvAuthProtocol::ForVersion(protocol);
    protocol_ = protocol;
    shared_ = proto_->Kdf(*z);
    platform_cose_ = platform->CosePublicKey();
  }

  uint8_t SetPin(std::string_view pin, int64_t protocol = 2) {
    Agree(protocol);
    Bytes padded(64, 0);
    std::copy(pin.begin(), pin.end(), padded.begin());
    Bytes enc = *proto_->Encrypt(shared_, padded);
    Bytes auth = proto_->Authenticate(shared_.reveal(), enc);
    CborWriter w;
    w.Map(5)
        .Uint(1)
        .Int(protocol)
        .Uint(2)
        .Uint(3)
        .Uint(3)
        .Raw(platform_cose_)
        .Uint(4)
        .Bytes(auth)
        .Uint(5)
        .Bytes(enc);
    return Status(ctap_cmd::kClientPin, w.Take());
  }

  // getPinUvAuthTokenUsingPinWithPermissions; returns the status, stores the token.
  uint8_t GetToken(std::string_view pin, int64_t permissions, const char* rp_id,
                   int64_t protocol = 2) {
    Agree(protocol);
    auto h = Sha256(AsBytes(pin));
    Bytes enc = *proto_->Encrypt(shared_, ByteSpan(h.data(), 16));
    CborWriter w;
    w.Map(rp_id ? 6 : 5).Uint(1).Int(protocol).Uint(2).Uint(9).Uint(3).Raw(platform_cose_);
    w.Uint(6).Bytes(enc).Uint(9).Int(permissions);
    if (rp_id) w.Uint(10).Text(rp_id);
    Bytes r = Call(ctap_cmd::kClientPin, w.Take());
    if (r.at(0) != ctap::kOk) return r[0];
    auto d = DecodeCbor(ByteSpan(r).subspan(1));
    auto t = proto_->Decrypt(shared_, *d->item.Find(2).GetBytes());
    token_ = std::move(t).value();
    return ctap::kOk;
  }

  Bytes MakeCredential(const std::string& rp, bool with_token, std::optional<Bytes> param = {},
                       std::optional<int64_t> ep = {}) {
    Bytes cdh(32, 7);
    bool auth = with_token || param;
    CborWriter w;
    w.Map(4 + (auth ? 2 : 0) + (ep ? 1 : 0));
    w.Uint(1).Bytes(cdh);
    w.Uint(2).Map(1).Text("id").Text(rp);
    w.Uint(3).Map(1).Text("id").Bytes(Bytes{1, 2, 3});
    w.Uint(4).Array(1).Map(2).Text("alg").Int(-7).Text("type").Text("public-key");
    if (auth) {
      Bytes p = param ? *param : proto_->Authenticate(token_.reveal(), cdh);
      w.Uint(8).Bytes(p).Uint(9).Int(protocol_);
    }
    if (ep) w.Uint(10).Int(*ep);
    return Call(ctap_cmd::kMakeCredential, w.Take());
  }

 private:
  SoftAuthenticator& a_;
  ImmediatePresence up_;
  const PinUvAuthProtocol* proto_ = nullptr;
  int64_t protocol_ = 2;
  SecretBytes shared_;
  SecretBytes token_;
  Bytes platform_cose_;
};

class SoftAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = SoftAuthenticator::CreateInMemory();
    ASSERT_TRUE(a);
    auth_ = std::move(a).value();
    client_ = std::make_unique<RawClient>(*auth_);
  }
  std::unique_ptr<SoftAuthenticator> auth_;
  std::unique_ptr<RawClient> client_;
};

TEST_F(SoftAuthenticatorTest, GetInfoIsCanonicalCbor) {
  Bytes r = client_->Call(ctap_cmd::kGetInfo, {});
  ASSERT_EQ(r.at(0), ctap::kOk);
  CborLimits canonical;
  canonical.require_canonical = true;
  EXPECT_TRUE(DecodeCbor(ByteSpan(r).subspan(1), canonical));
  EXPECT_EQ(client_->Status(ctap_cmd::kGetInfo, {0xa0}), ctap::kInvalidLength);
}

TEST_F(SoftAuthenticatorTest, MalformedRequestsGetTheCtapErrorsOfARealKey) {
  ImmediatePresence presence;
  EXPECT_EQ(auth_->Handle({}, presence)[0], ctap::kInvalidLength);
  EXPECT_EQ(client_->Status(0x55, {}), ctap::kInvalidCommand);
  EXPECT_EQ(client_->Status(ctap_cmd::kMakeCredential, {0xa1, 0x01}), ctap::kInvalidCbor);
  // Map keys out of canonical order.
  EXPECT_EQ(client_->Status(ctap_cmd::kMakeCredential, {0xa2, 0x02, 0x00, 0x01, 0x00}),
            ctap::kInvalidCbor);
  // Non-shortest integer encoding.
  EXPECT_EQ(client_->Status(ctap_cmd::kMakeCredential, {0xa1, 0x18, 0x01, 0x00}),
            ctap::kInvalidCbor);
  EXPECT_EQ(client_->Status(ctap_cmd::kMakeCredential, {0x80}), ctap::kCborUnexpectedType);
  EXPECT_EQ(client_->Status(ctap_cmd::kMakeCredential, {}), ctap::kMissingParameter);
  EXPECT_EQ(client_->Status(ctap_cmd::kMakeCredential, {0xa0}), ctap::kMissingParameter);
  // clientDataHash as a text string.
  EXPECT_EQ(client_->Status(ctap_cmd::kMakeCredential, {0xa1, 0x01, 0x61, 'x'}),
            ctap::kCborUnexpectedType);
  EXPECT_EQ(client_->Status(ctap_cmd::kGetNextAssertion, {}), ctap::kNotAllowed);
}

TEST_F(SoftAuthenticatorTest, UnsupportedAlgorithmAndOptions) {
  Bytes cdh(32, 1);
  CborWriter w;
  w.Map(4).Uint(1).Bytes(cdh).Uint(2).Map(1).Text("id").Text("x.example");
  w.Uint(3).Map(1).Text("id").Bytes(Bytes{1});
  w.Uint(4).Array(1).Map(2).Text("alg").Int(-257).Text("type").Text("public-key");
  EXPECT_EQ(client_->Status(ctap_cmd::kMakeCredential, w.Take()), ctap::kUnsupportedAlgorithm);

  CborWriter up;
  up.Map(5).Uint(1).Bytes(cdh).Uint(2).Map(1).Text("id").Text("x.example");
  up.Uint(3).Map(1).Text("id").Bytes(Bytes{1});
  up.Uint(4).Array(1).Map(2).Text("alg").Int(-7).Text("type").Text("public-key");
  up.Uint(7).Map(1).Text("up").Bool(false);
  EXPECT_EQ(client_->Status(ctap_cmd::kMakeCredential, up.Take()), ctap::kInvalidOption);

  CborWriter rk;
  rk.Map(3).Uint(1).Text("x.example").Uint(2).Bytes(cdh).Uint(5).Map(1).Text("rk").Bool(true);
  EXPECT_EQ(client_->Status(ctap_cmd::kGetAssertion, rk.Take()), ctap::kUnsupportedOption);
}

TEST_F(SoftAuthenticatorTest, TokenWithoutTheNeededPermissionIsPinAuthInvalid) {
  ASSERT_EQ(client_->SetPin("1234"), ctap::kOk);
  ASSERT_EQ(client_->GetToken("1234", 0x04 /* cm */, nullptr), ctap::kOk);
  EXPECT_EQ(client_->MakeCredential("a.example", true).at(0), ctap::kPinAuthInvalid);
  ASSERT_EQ(client_->GetToken("1234", 0x01 /* mc */, nullptr), ctap::kOk);
  EXPECT_EQ(client_->MakeCredential("a.example", true).at(0), ctap::kOk);
}

TEST_F(SoftAuthenticatorTest, TokenBoundToAnotherRpIsPinAuthInvalid) {
  ASSERT_EQ(client_->SetPin("1234"), ctap::kOk);
  ASSERT_EQ(client_->GetToken("1234", 0x01, "a.example"), ctap::kOk);
  EXPECT_EQ(client_->MakeCredential("b.example", true).at(0), ctap::kPinAuthInvalid);
  EXPECT_EQ(client_->MakeCredential("a.example", true).at(0), ctap::kOk);
}

TEST_F(SoftAuthenticatorTest, WrongPinUvAuthParamIsPinAuthInvalid) {
  ASSERT_EQ(client_->SetPin("1234"), ctap::kOk);
  ASSERT_EQ(client_->GetToken("1234", 0x01, nullptr), ctap::kOk);
  EXPECT_EQ(client_->MakeCredential("a.example", false, Bytes(32, 0xaa)).at(0),
            ctap::kPinAuthInvalid);
}

TEST_F(SoftAuthenticatorTest, PermissionChecksOnTokenRequests) {
  ASSERT_EQ(client_->SetPin("1234"), ctap::kOk);
  EXPECT_EQ(client_->GetToken("1234", 0x08 /* be */, nullptr), ctap::kUnauthorizedPermission);
  EXPECT_EQ(client_->GetToken("1234", 0, nullptr), ctap::kInvalidParameter);
  EXPECT_EQ(client_->GetToken("0000", 0x01, nullptr), ctap::kPinInvalid);
}

TEST_F(SoftAuthenticatorTest, PinProtocolOneWorksToo) {
  ASSERT_EQ(client_->SetPin("1234", 1), ctap::kOk);
  ASSERT_EQ(client_->GetToken("1234", 0x01, nullptr, 1), ctap::kOk);
  EXPECT_EQ(client_->MakeCredential("a.example", true).at(0), ctap::kOk);
}

TEST_F(SoftAuthenticatorTest, UnknownPinProtocolIsInvalidParameter) {
  CborWriter w;
  w.Map(2).Uint(1).Uint(3).Uint(2).Uint(2);
  EXPECT_EQ(client_->Status(ctap_cmd::kClientPin, w.Take()), ctap::kInvalidParameter);
}

TEST_F(SoftAuthenticatorTest, CredentialManagementWithoutTokenIsPuatRequired) {
  ASSERT_EQ(client_->SetPin("1234"), ctap::kOk);
  CborWriter w;
  w.Map(2).Uint(1).Uint(1).Uint(2).Map(0);
  EXPECT_EQ(client_->Status(ctap_cmd::kCredentialManagement, w.Take()), ctap::kPuatRequired);
}

TEST_F(SoftAuthenticatorTest, EnterpriseAttestationOnlyWhenEnabled) {
  EXPECT_EQ(client_->MakeCredential("a.example", false, {}, 1).at(0), ctap::kInvalidParameter);
  CborWriter w;
  w.Map(1).Uint(1).Uint(1);  // enableEnterpriseAttestation, no PIN set
  ASSERT_EQ(client_->Status(ctap_cmd::kConfig, w.Take()), ctap::kOk);
  Bytes r = client_->MakeCredential("a.example", false, {}, 2);
  ASSERT_EQ(r.at(0), ctap::kOk);
  auto d = DecodeCbor(ByteSpan(r).subspan(1));
  ASSERT_TRUE(d);
  EXPECT_EQ(*d->item.Find(4).GetBool(), true);
  EXPECT_EQ(client_->MakeCredential("a.example", false, {}, 3).at(0), ctap::kInvalidOption);
}

TEST_F(SoftAuthenticatorTest, SelectionWaitsForTouch) {
  EXPECT_EQ(client_->Status(ctap_cmd::kSelection, {}), ctap::kOk);
}

}  // namespace
}  // namespace keyward::softctap
