// Authenticator::RecordAdminAction: admin records in the hash-chained audit log (card PIN
// changes, management-key rotation, ...), argument checks, the chain across reopening, export and
// erasure of a principal named as subject.
#include <gtest/gtest.h>

#include <atomic>

#include "core/json.h"
#include "keyward/authenticator.h"
#include "tests/unit/authenticator/test_util.h"

namespace keyward::authenticator {
namespace {

class AdminAuditTest : public ::testing::Test {
 protected:
  std::unique_ptr<Authenticator> Open() {
    AuthenticatorConfig c;
    c.db_path = dir_.File("keyward.db");
    c.rp_id = "example.com";
    c.rp_name = "Example";
    c.origins = {"https://example.com"};
    c.policy = "workforce";
    c.clock = [this] { return now_.load(); };
    auto a = Authenticator::Open(c);
    EXPECT_TRUE(a) << a.error().ToString();
    return a ? std::move(a).value() : nullptr;
  }
  Json LastRecord(Authenticator& a) {
    auto tail = a.AuditTail(1);
    EXPECT_TRUE(tail);
    EXPECT_EQ(tail->size(), 1u);
    auto j = ParseJson(tail->back());
    EXPECT_TRUE(j);
    return *j;
  }

  testing::TempDir dir_;
  std::atomic<int64_t> now_{1700000000};
};

TEST_F(AdminAuditTest, SuccessAndFailureRecordsJoinTheChain) {
  auto a = Open();
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->RecordAdminAction("card.pin.change", "guid:00112233445566778899aabbccddeeff", "ok",
                                   R"({"reader":"Virtual PCD 00 00","retries_left":3})"));
  Json r = LastRecord(*a);
  EXPECT_EQ(r["event"], "admin");
  EXPECT_EQ(r["action"], "card.pin.change");
  EXPECT_EQ(r["outcome"], "success");
  EXPECT_FALSE(r.contains("code"));
  EXPECT_EQ(r["subject"], "guid:00112233445566778899aabbccddeeff");
  EXPECT_EQ(r["details"]["retries_left"], 3);
  EXPECT_EQ(r["seq"], 1);

  now_ += 5;
  ASSERT_TRUE(a->RecordAdminAction("card.mgmt_key.change", "serial:42",
                                   "piv_management_key_auth_failed", ""));
  r = LastRecord(*a);
  EXPECT_EQ(r["outcome"], "failure");
  EXPECT_EQ(r["code"], "piv_management_key_auth_failed");
  EXPECT_FALSE(r.contains("details"));
  EXPECT_EQ(r["ts"], 1700000005);
  ASSERT_TRUE(a->RecordAdminAction("card.status", "", "ok", "{}"));
  EXPECT_FALSE(LastRecord(*a).contains("subject"));

  auto v = a->VerifyAuditChain();
  ASSERT_TRUE(v) << v.error().ToString();
  EXPECT_EQ(v->records, 3u);
  // Reopened: the chain continues and still verifies, also as exported lines.
  a.reset();
  a = Open();
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->RecordAdminAction("card.puk.change", "serial:42", "ok", ""));
  v = a->VerifyAuditChain();
  ASSERT_TRUE(v);
  EXPECT_EQ(v->records, 4u);
  auto lines = a->AuditTail(100);
  ASSERT_TRUE(lines);
  auto exported = VerifyAuditLines(*lines);
  ASSERT_TRUE(exported) << exported.error().ToString();
  EXPECT_EQ(exported->head_hash, v->head_hash);
  // Tampering with an admin record's details is caught.
  std::vector<std::string> tampered = *lines;
  auto pos = tampered[0].find("\"retries_left\":3");
  ASSERT_NE(pos, std::string::npos);
  tampered[0].replace(pos, 16, "\"retries_left\":2");
  auto broken = VerifyAuditLines(tampered);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, ErrorCode::kAuditChainBroken);
  EXPECT_EQ(broken.error().native, 1u);
}

TEST_F(AdminAuditTest, BadArgumentsAreRefusedAndWriteNothing) {
  auto a = Open();
  ASSERT_TRUE(a);
  struct Case {
    const char* action;
    std::string subject;
    const char* outcome;
    const char* details;
  };
  const Case cases[] = {
      {"", "s", "ok", ""},
      {"Card.Pin", "s", "ok", ""},
      {"card pin", "s", "ok", ""},
      {"card.pin.change", "s", "", ""},
      {"card.pin.change", "s", "Pin-Incorrect", ""},
      {"card.pin.change", "s", "ok", "[1,2]"},
      {"card.pin.change", "s", "ok", "{\"a\":"},
      {"card.pin.change", "s", "ok", "{\"a\":1,\"a\":2}"},
      {"card.pin.change", "s", "ok", "\"text\""},
      {"card.pin.change", "s", "ok", "{\"new_pin\":\"123456\"}"},
      {"card.pin.change", "s", "ok", "{\"PUK\":\"12345678\"}"},
      {"card.mgmt_key.change", "s", "ok", "{\"steps\":[{\"management_key\":\"0102\"}]}"},
      {"card.pin.change", "line\nbreak", "ok", ""},
      {"card.pin.change", std::string(257, 'x'), "ok", ""},
  };
  for (const Case& c : cases) {
    auto r = a->RecordAdminAction(c.action, c.subject, c.outcome, c.details);
    ASSERT_FALSE(r) << c.action << " / " << c.outcome << " / " << c.details;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << c.details;
  }
  std::string long_action(65, 'a');
  EXPECT_EQ(a->RecordAdminAction(long_action, "s", "ok", "").error().code,
            ErrorCode::kInvalidArgument);
  auto tail = a->AuditTail(10);
  ASSERT_TRUE(tail);
  EXPECT_TRUE(tail->empty());
  // Secret-free names that merely contain such words are fine.
  EXPECT_TRUE(a->RecordAdminAction("card.mgmt_key.change", "s", "ok",
                                   R"({"key_algorithm":"aes192","pin_retries_left":3})"));
}

TEST_F(AdminAuditTest, PrincipalSubjectIsPseudonymousAndFollowsExportAndErasure) {
  auto a = Open();
  ASSERT_TRUE(a);
  auto p = a->CreatePrincipal("bob@example.com", "Bob");
  ASSERT_TRUE(p);
  ASSERT_TRUE(a->RecordAdminAction("card.enroll", p->id, "ok", R"({"slot":"9a"})"));
  Json r = LastRecord(*a);
  EXPECT_FALSE(r.contains("subject"));
  ASSERT_TRUE(r.contains("principal"));
  EXPECT_EQ(r.dump().find(p->id), std::string::npos);  // the raw id is not in the log
  auto exported = a->ExportPrincipal(p->id);
  ASSERT_TRUE(exported);
  EXPECT_NE(exported->find("card.enroll"), std::string::npos);
  ASSERT_TRUE(a->ErasePrincipal(p->id));
  auto v = a->VerifyAuditChain();
  EXPECT_TRUE(v) << v.error().ToString();
}

}  // namespace
}  // namespace keyward::authenticator
