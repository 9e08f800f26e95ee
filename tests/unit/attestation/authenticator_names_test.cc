// AAGUID → authenticator name (attestation/authenticator_names.h): the MDS entry first, then the
// bundled community list; nothing for the all-zero AAGUID or an unknown one.
#include "attestation/authenticator_names.h"

#include <gtest/gtest.h>

namespace keyward::attestation::testing {
namespace {

Aaguid Id(const char* text) { return *ParseAaguid(text); }

TEST(AuthenticatorNamesTest, CommunityListNamesPasskeyProviders) {
  EXPECT_GT(CommunityAaguidCount(), 40u);
  auto gpm = LookupAuthenticatorName(Id("ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"), nullptr);
  ASSERT_TRUE(gpm);
  EXPECT_EQ(gpm->name, "Google Password Manager");
  EXPECT_EQ(gpm->source, "community");
  EXPECT_EQ(gpm->icon_light.rfind("data:image/svg+xml;base64,", 0), 0u);
  auto apple = LookupAuthenticatorName(Id("fbfc3007-154e-4ecc-8c0b-6e020557d7bd"), nullptr);
  ASSERT_TRUE(apple);
  EXPECT_EQ(apple->name, "Apple Passwords");  // iCloud Keychain's AAGUID, as the list names it
  EXPECT_FALSE(LookupAuthenticatorName(Aaguid{}, nullptr));
  EXPECT_FALSE(LookupAuthenticatorName(Id("6b657977-6172-642d-7465-737400000009"), nullptr));
}

TEST(AuthenticatorNamesTest, MetadataComesFirst) {
  auto blob = MetadataBlob::InsecureParseUnverifiedPayload(R"json({
    "no": 1, "nextUpdate": "2030-01-01", "entries": [
      {"aaguid": "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4",
       "metadataStatement": {"description": "Google Password Manager (MDS)",
                             "icon": "data:image/png;base64,AAAA"}},
      {"aaguid": "6b657977-6172-642d-7465-737400000009",
       "metadataStatement": {"description": "YubiKey 5 Series"}}]})json");
  ASSERT_TRUE(blob) << blob.error().ToString();
  auto gpm = LookupAuthenticatorName(Id("ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"), &*blob);
  ASSERT_TRUE(gpm);
  EXPECT_EQ(gpm->name, "Google Password Manager (MDS)");
  EXPECT_EQ(gpm->source, "mds");
  EXPECT_EQ(gpm->icon_light, "data:image/png;base64,AAAA");
  auto yk = LookupAuthenticatorName(Id("6b657977-6172-642d-7465-737400000009"), &*blob);
  ASSERT_TRUE(yk);
  EXPECT_EQ(yk->name, "YubiKey 5 Series");
  EXPECT_EQ(yk->icon_light, "");
}

}  // namespace
}  // namespace keyward::attestation::testing
