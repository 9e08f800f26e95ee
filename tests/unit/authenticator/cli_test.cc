// The keyward CLI commands of this area, run as a user would: `keyward demo`, `keyward users`,
// `keyward audit`, with --json, against a store in a temporary directory.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include "core/json.h"
#include "tests/unit/authenticator/test_util.h"

namespace keyward::authenticator {
namespace {

using testing::TempDir;

using testing::CliRun;
using testing::Keyward;
using testing::MustJson;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("demo.db");
    CliRun demo = Keyward("demo --json --db " + db_);
    ASSERT_EQ(demo.exit_code, 0) << demo.out;
    demo_ = MustJson(demo.out);
  }
  TempDir dir_;
  std::string db_;
  Json demo_;
};

// No card named: the passkey and the security key run on the software CTAP 2.1 authenticator
// through libfido2, the smart-card part is reported as skipped (with the reason), and the
// security key satisfies the step-up. With the software PIV card: cli_demo_e2e_test.
TEST_F(CliTest, DemoOnTheSoftwareAuthenticatorSkipsTheCardAndSaysWhy) {
  EXPECT_EQ(demo_["ok"], true);
  std::map<std::string, Json> steps;
  for (const auto& s : demo_["steps"]) steps[s["step"].get<std::string>()] = s;
  EXPECT_EQ(steps["register_passkey"]["detail"]["kind"], "passkey");
  EXPECT_EQ(steps["register_passkey"]["detail"]["attestation_fmt"], "none");
  EXPECT_EQ(steps["register_security_key"]["detail"]["attestation_fmt"], "packed");
  EXPECT_EQ(steps["register_security_key"]["detail"]["trust_status"], "trusted");
  EXPECT_EQ(steps["smart_card_skipped"]["detail"]["skipped"], true);
  EXPECT_FALSE(steps["smart_card_skipped"]["detail"]["reason"].get<std::string>().empty());
  EXPECT_EQ(steps.count("enroll_smart_card"), 0u);
  EXPECT_EQ(steps["login_passkey"]["auth_result"]["aal"], "aal2");
  EXPECT_EQ(steps["login_passkey"]["auth_result"]["kind"], "passkey");
  EXPECT_EQ(steps["login_passkey"]["auth_result"]["user_verified"], true);
  EXPECT_EQ(steps["authorize_admin"]["detail"]["code"], "step_up_required");
  EXPECT_EQ(steps["step_up_security_key"]["auth_result"]["kind"], "security_key");
  EXPECT_EQ(steps["step_up_security_key"]["auth_result"]["aal"], "aal3");
  EXPECT_EQ(steps["authorize_admin_again"]["detail"]["session_aal"], "aal3");
  EXPECT_EQ(steps["login_security_key"]["auth_result"]["aal"], "aal3");
  // The software key counts signatures: the second login's counter is above the first's.
  EXPECT_GT(steps["login_security_key"]["auth_result"]["sign_count"].get<int64_t>(),
            steps["step_up_security_key"]["auth_result"]["sign_count"].get<int64_t>());
  EXPECT_EQ(steps["replay_security_key"]["detail"]["code"], "challenge_replayed");
  EXPECT_GT(steps["audit_verify"]["detail"]["records"].get<int>(), 0);
}

TEST_F(CliTest, UsersListShowExportErase) {
  Json list = MustJson(Keyward("users list --json --db " + db_).out);
  ASSERT_EQ(list["principals"].size(), 1u);
  const std::string name = list["principals"][0]["name"];
  EXPECT_EQ(list["principals"][0]["credentials"], 2);  // passkey + security key (no card)
  Json show = MustJson(Keyward("users show " + name + " --json --db " + db_).out);
  EXPECT_EQ(show["principal"]["credentials"].size(), 2u);
  CliRun exp = Keyward("users export " + name + " --db " + db_);
  ASSERT_EQ(exp.exit_code, 0);
  EXPECT_EQ(MustJson(exp.out)["principal"]["name"], name);
  EXPECT_EQ(Keyward("users erase " + name + " --json --db " + db_).exit_code, 2);  // no --yes
  CliRun erase = Keyward("users erase " + name + " --yes --json --db " + db_);
  ASSERT_EQ(erase.exit_code, 0) << erase.out;
  CliRun gone = Keyward("users export " + name + " --db " + db_);
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_EQ(MustJson(gone.out)["error"]["code"], "not_found");
  EXPECT_TRUE(MustJson(Keyward("users list --json --db " + db_).out)["principals"].empty());
}

TEST_F(CliTest, AuditTailAndVerifyDetectTampering) {
  CliRun tail = Keyward("audit tail --all --json --db " + db_);
  ASSERT_EQ(tail.exit_code, 0);
  const std::string file = dir_.File("audit.jsonl");
  { std::ofstream(file) << tail.out; }
  Json ok = MustJson(Keyward("audit verify --json --file " + file).out);
  EXPECT_EQ(ok["verified"], true);
  CliRun store_ok = Keyward("audit verify --json --db " + db_);
  EXPECT_EQ(store_ok.exit_code, 0);

  // Tamper with record 3 in the store (drop the append-only trigger first, as an attacker would).
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP TRIGGER audit_append_only_update;"
                         "UPDATE audit SET line=replace(line, '\"ts\":', '\"ts\":1') WHERE seq=3;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  CliRun broken = Keyward("audit verify --json --db " + db_);
  EXPECT_EQ(broken.exit_code, 1);
  Json b = MustJson(broken.out);
  EXPECT_EQ(b["verified"], false);
  EXPECT_EQ(b["error"]["code"], "audit_chain_broken");
  EXPECT_EQ(b["error"]["line"], 3);
}

// keyward store migrate / copy, and the store URL forms of --db.
TEST_F(CliTest, StoreMigrateAndCopy) {
  const std::string target = dir_.File("copy.db");
  CliRun migrate = Keyward("store migrate --json --db sqlite:" + target);
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out;
  EXPECT_EQ(MustJson(migrate.out)["db"], "sqlite:" + target);
  CliRun copy = Keyward("store copy --json --from " + db_ + " --to sqlite:" + target);
  ASSERT_EQ(copy.exit_code, 0) << copy.out;
  Json c = MustJson(copy.out);
  EXPECT_EQ(c["principals"], 1);
  EXPECT_EQ(c["credentials"], 2);
  Json verified = MustJson(Keyward("audit verify --json --db sqlite:" + target).out);
  EXPECT_EQ(verified["verified"], true);
  EXPECT_EQ(verified["records"], c["audit_records"]);
  EXPECT_EQ(verified["head_hash"], c["audit_head_hash"]);
  // The copy lists the same principal through a sqlite: URL.
  Json list = MustJson(Keyward("users list --json --db sqlite:" + target).out);
  ASSERT_EQ(list["principals"].size(), 1u);
  // Copying again into the now non-empty store is refused.
  CliRun again = Keyward("store copy --json --from " + db_ + " --to " + target);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(MustJson(again.out)["error"]["code"], "already_exists");
}

TEST(CliErrors, BadStoreUrls) {
  CliRun r = Keyward("store migrate --json --db mysql://h/db");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(MustJson(r.out)["error"]["code"], "store_url_invalid");
  CliRun u = Keyward("users list --json --db sqlite:");
  EXPECT_EQ(MustJson(u.out)["error"]["code"], "store_url_invalid");
  CliRun down =
      Keyward("store migrate --json --db 'postgresql:///x?host=/nonexistent-kw&connect_timeout=1'");
  EXPECT_EQ(down.exit_code, 3);
  EXPECT_EQ(MustJson(down.out)["error"]["code"], "store_unavailable");
}

TEST(CliErrors, MissingStore) {
  CliRun r = Keyward("users list --json --db /nonexistent-kw/none.db");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(MustJson(r.out)["error"]["code"], "not_found");
  EXPECT_EQ(Keyward("audit verify --json --db /nonexistent-kw/none.db").exit_code, 2);
}

}  // namespace
}  // namespace keyward::authenticator
