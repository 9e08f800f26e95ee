// OpenSC's own PIV driver (opensc-pkcs11.so through pkcs11-tool) accepts the software card:
// token listing, login, a wrong PIN, and an ECDSA signature that verifies with the key the
// keyward PIV client generated.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <fstream>
#include <iterator>

#include "core/hash.h"
#include "keyward/pcsc.h"
#include "tests/unit/pcsc/harness.h"

namespace keyward::pcsc {
namespace {

constexpr char kModule[] = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";

TEST(PcscOpenscE2eTest, Pkcs11ToolListsLogsInAndSigns) {
  testing::TempDir dir;
  auto card = testing::StartSoftCard(dir.File("card.json"));
  ASSERT_TRUE(card);
  ASSERT_TRUE(testing::WaitForCard(true));

  // Provision slot 9A with the keyward client: key pair + certificate.
  Bytes spki;
  {
    auto ctx = Context::Establish();
    ASSERT_TRUE(ctx);
    auto client = piv::PivClient::Open(*ctx, testing::SoftReader());
    ASSERT_TRUE(client) << client.error().ToString();
    ASSERT_TRUE((*client)->AuthenticateManagementKey(piv::ManagementKey::Default()));
    auto pub = (*client)->GenerateKey(piv::Slot::kAuthentication, piv::Algorithm::kEccP256);
    ASSERT_TRUE(pub);
    auto key = pub->ToEvp();
    ASSERT_TRUE(key);
    auto cert = testing::MakeCertificate(key->get(), "keyward opensc test");
    ASSERT_TRUE(cert);
    ASSERT_TRUE((*client)->WriteCertificate(piv::Slot::kAuthentication, *cert));
    auto der = pub->ToSpki();
    ASSERT_TRUE(der);
    spki = *der;
  }

  const std::string tool = std::string("pkcs11-tool --module ") + kModule;
  std::string out;
  ASSERT_EQ(testing::RunCommand(tool + " -L", &out), 0) << out;
  EXPECT_NE(out.find("Virtual PCD 00 00"), std::string::npos) << out;
  EXPECT_NE(out.find("token label"), std::string::npos) << out;
  EXPECT_NE(out.find("PIN initialized"), std::string::npos) << out;

  out.clear();
  ASSERT_EQ(testing::RunCommand(tool + " --login --pin 123456 -O", &out), 0) << out;
  EXPECT_NE(out.find("keyward opensc test"), std::string::npos) << out;

  out.clear();
  EXPECT_NE(testing::RunCommand(tool + " --login --pin 000000 -O", &out), 0);
  EXPECT_NE(out.find("CKR_PIN_INCORRECT"), std::string::npos) << out;

  // Sign a SHA-256 digest with the token's key (id 01 = slot 9A) and verify it here.
  const std::string message = "keyward smart-card login challenge";
  Sha256Digest digest = Sha256(AsBytes(message));
  {
    std::ofstream f(dir.File("digest.bin"), std::ios::binary);
    f.write(reinterpret_cast<const char*>(digest.data()), digest.size());
  }
  out.clear();
  ASSERT_EQ(testing::RunCommand(tool + " --login --pin 123456 --sign --id 01 -m ECDSA" +
                                    " --signature-format openssl -i " + dir.File("digest.bin") +
                                    " -o " + dir.File("sig.der"),
                                &out),
            0)
      << out;
  std::ifstream f(dir.File("sig.der"), std::ios::binary);
  Bytes sig((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(sig.empty());
  const unsigned char* p = spki.data();
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
  ASSERT_TRUE(key);
  EvpPkeyCtxPtr vctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  ASSERT_EQ(EVP_PKEY_verify_init(vctx.get()), 1);
  EXPECT_EQ(EVP_PKEY_verify(vctx.get(), sig.data(), sig.size(), digest.data(), digest.size()), 1);
}

}  // namespace
}  // namespace keyward::pcsc
