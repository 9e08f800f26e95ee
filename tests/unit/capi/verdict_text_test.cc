// The C ABI's assertion verdict is written without a DOM (webauthn/verdict_json.h); it must be
// exactly the object `keyward verify` prints, member for member.
#include <gtest/gtest.h>

#include "core/json.h"
#include "webauthn/verdict_json.h"

namespace keyward::webauthn {
namespace {

TEST(VerdictTextTest, EqualsTheDomForm) {
  VerifiedAssertion a;
  a.credential_id = {1, 2, 3, 250};
  a.sign_count = 4294967295u;
  a.flags.user_present = true;
  a.flags.backup_state = true;
  a.sign_count_regressed = true;
  for (int with_handle = 0; with_handle < 2; ++with_handle) {
    if (with_handle) a.user_handle = Bytes{9, 8, 7};
    const std::string text = AssertionVerdictText(a);
    auto parsed = ParseJson(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(parsed->dump(), text);
    EXPECT_EQ(AssertionVerdictJson(a).dump(), text);
    EXPECT_EQ((*parsed)["sign_count"].get<uint64_t>(), 4294967295u);
    EXPECT_EQ((*parsed)["flags"]["bs"], true);
    EXPECT_EQ(parsed->contains("user_handle"), with_handle == 1);
  }
}

}  // namespace
}  // namespace keyward::webauthn
