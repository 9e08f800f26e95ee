// `keyward card pin change|unblock`, `card puk change`, `card mgmt-key change`, `card status`
// against the software card on a real pcscd (scripts/with-pcscd): success, wrong PIN / PUK /
// management key with their codes and exit codes, a blocked PIN unblocked, status before and
// after, the fallback without GET METADATA, and the audit records (chain verified by
// `keyward audit verify`).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "keyward/pcsc.h"
#include "tests/unit/pcsc/harness.h"
#include "tools/softpiv/card_state.h"

namespace keyward::pcsc {
namespace {

std::string Keyward() { return std::string(KEYWARD_BIN_DIR) + "/keyward"; }

class CardAdminCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    db_ = dir_.File("audit.db");
  }
  void TearDown() override {
    card_.Stop();
    EXPECT_TRUE(testing::WaitForCard(false));
  }
  void Insert(const std::vector<std::string>& extra = {}) {
    ASSERT_TRUE(testing::WaitForCard(false));
    auto c = testing::StartSoftCard(dir_.File("card.json"), extra);
    ASSERT_TRUE(c);
    card_ = std::move(c).value();
    ASSERT_TRUE(testing::WaitForCard(true));
  }
  // Runs keyward with `stdin_lines` on fd 0; returns the parsed stdout JSON.
  nlohmann::json Run(const std::string& args, const std::string& stdin_lines, int* rc,
                     std::string* raw = nullptr) {
    std::string in = dir_.File("in.txt");
    {
      std::ofstream f(in);
      f << stdin_lines;
    }
    std::string out;
    *rc = testing::RunCommand(
        "(" + Keyward() + " " + args + " --json --db " + db_ + " <" + in + " 2>/dev/null)", &out);
    if (raw) *raw = out;
    auto j = nlohmann::json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << args << ": " << out;
    return j;
  }
  std::vector<nlohmann::json> AuditRecords() {
    std::string out;
    int rc =
        testing::RunCommand(Keyward() + " audit tail --all --json --db " + db_ + " 2>&1", &out);
    EXPECT_EQ(rc, 0) << out;
    std::vector<nlohmann::json> recs;
    std::istringstream ss(out);
    for (std::string line; std::getline(ss, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object()) recs.push_back(j);
    }
    return recs;
  }

  testing::TempDir dir_;
  std::string db_;
  testing::ChildProcess card_;
};

TEST_F(CardAdminCliTest, PinPukAndStatusWithMetadata) {
  Insert();
  int rc = -1;
  auto st = Run("card status", "", &rc);
  ASSERT_EQ(rc, 0) << st.dump();
  EXPECT_TRUE(st["metadata_supported"].get<bool>());
  EXPECT_EQ(st["pin"]["retries_left"], 3);
  EXPECT_EQ(st["pin"]["default"], true);
  EXPECT_EQ(st["puk"]["default"], true);
  EXPECT_EQ(st["management_key"]["default"], true);
  EXPECT_EQ(st["management_key"]["algorithm"], "3des");
  ASSERT_EQ(st["slots"].size(), 4u);
  EXPECT_EQ(st["slots"][0]["slot"], "9a");
  EXPECT_EQ(st["slots"][0]["key"], false);
  EXPECT_EQ(st["slots"][0]["certificate"]["present"], false);
  const std::string subject = st["subject"];
  EXPECT_EQ(subject.rfind("guid:", 0), 0u);

  // Wrong current PIN: pin_incorrect, exit 1, retries in native.
  auto bad = Run("card pin change --pin-fd 0 --new-pin-fd 0", "000000\n654321\n", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(bad["error"]["code"], "pin_incorrect");
  EXPECT_EQ(bad["error"]["native"], 0x63C2);
  // A new PIN of the wrong length never reaches the card: pin_invalid.
  auto invalid = Run("card pin change --pin-fd 0 --new-pin-fd 0", "123456\n12\n", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(invalid["error"]["code"], "pin_invalid");
  auto ok = Run("card pin change --pin-fd 0 --new-pin-fd 0", "123456\n654321\n", &rc);
  EXPECT_EQ(rc, 0) << ok.dump();
  EXPECT_EQ(ok["ok"], true);

  // Block the PIN with three wrong tries, then unblock with the PUK.
  for (int i = 0; i < 3; ++i) {
    (void)Run("card pin change --pin-fd 0 --new-pin-fd 0", "111111\n222222\n", &rc);
    EXPECT_EQ(rc, 1);
  }
  auto blocked = Run("card pin change --pin-fd 0 --new-pin-fd 0", "654321\n222222\n", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(blocked["error"]["code"], "pin_blocked");
  st = Run("card status", "", &rc);
  EXPECT_EQ(st["pin"]["retries_left"], 0);
  auto wrong_puk = Run("card pin unblock --puk-fd 0 --new-pin-fd 0", "87654321\n222222\n", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(wrong_puk["error"]["code"], "puk_incorrect");
  auto unblocked = Run("card pin unblock --puk-fd 0 --new-pin-fd 0", "12345678\n222222\n", &rc);
  EXPECT_EQ(rc, 0) << unblocked.dump();

  // PUK change.
  auto bad_puk = Run("card puk change --puk-fd 0 --new-puk-fd 0", "00000000\n11223344\n", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(bad_puk["error"]["code"], "puk_incorrect");
  auto puk = Run("card puk change --puk-fd 0 --new-puk-fd 0", "12345678\n11223344\n", &rc);
  EXPECT_EQ(rc, 0) << puk.dump();

  st = Run("card status", "", &rc);
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(st["pin"]["retries_left"], 3);
  EXPECT_EQ(st["pin"]["default"], false);
  EXPECT_EQ(st["puk"]["default"], false);
  EXPECT_EQ(st["management_key"]["default"], true);

  // No terminal and no fd: a clear refusal, nothing read from argv.
  std::string raw;
  int code = testing::RunCommand(
      "(" + Keyward() + " card pin change --json </dev/null 2>/dev/null)", &raw);
  EXPECT_EQ(code, 1);
  EXPECT_NE(raw.find("pin_required"), std::string::npos);

  // Audit: every action with its outcome, no secret, and the chain verifies.
  auto recs = AuditRecords();
  int changes_ok = 0, failures = 0;
  for (const auto& r : recs) {
    EXPECT_EQ(r["event"], "admin");
    EXPECT_EQ(r["subject"], subject);
    if (r["action"] == "card.pin.change" && r["outcome"] == "success") ++changes_ok;
    if (r["outcome"] == "failure") ++failures;
    const std::string line = r.dump();
    for (const char* secret : {"654321", "12345678", "11223344", "222222"}) {
      EXPECT_EQ(line.find(secret), std::string::npos) << line;
    }
  }
  EXPECT_EQ(changes_ok, 1);
  EXPECT_GE(failures, 8);
  bool saw_unblock = false, saw_puk = false;
  for (const auto& r : recs) {
    if (r["action"] == "card.pin.unblock" && r["outcome"] == "success") saw_unblock = true;
    if (r["action"] == "card.puk.change" && r["outcome"] == "success") saw_puk = true;
    if (r["action"] == "card.pin.unblock" && r["outcome"] == "failure") {
      EXPECT_EQ(r["code"], "puk_incorrect");
    }
  }
  EXPECT_TRUE(saw_unblock);
  EXPECT_TRUE(saw_puk);
  int vrc = testing::RunCommand(Keyward() + " audit verify --db " + db_ + " 2>&1", &raw);
  EXPECT_EQ(vrc, 0) << raw;
}

TEST_F(CardAdminCliTest, ManagementKeyChange) {
  Insert();
  int rc = -1;
  // 3DES default current key, a generated AES-192 key written to a 0600 file.
  std::string keyfile = dir_.File("mgmt.key");
  auto r = Run("card mgmt-key change --current-default --generate --out " + keyfile, "", &rc);
  ASSERT_EQ(rc, 0) << r.dump();
  EXPECT_EQ(r["algorithm"], "aes192");
  EXPECT_FALSE(r.contains("generated_key"));
  struct stat sb {};
  ASSERT_EQ(stat(keyfile.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  std::string key_hex;
  {
    std::ifstream f(keyfile);
    std::getline(f, key_hex);
  }
  ASSERT_EQ(key_hex.size(), 48u);
  auto state = softpiv::CardState::Load(dir_.File("card.json"));
  ASSERT_TRUE(state);
  EXPECT_EQ(state->mgmt_algorithm, piv::Algorithm::kAes192);
  EXPECT_EQ(HexEncode(state->mgmt_key.reveal()), key_hex);

  // The old default key is refused now; a wrong key of the right algorithm too.
  auto old = Run("card mgmt-key change --current-default --generate", "", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(old["error"]["code"], "piv_management_key_auth_failed");
  std::string wrong(48, '0');
  auto bad = Run("card mgmt-key change --current-key-fd 0 --generate", wrong + "\n", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(bad["error"]["code"], "piv_management_key_auth_failed");
  // The output file exists already: refused before the card changes.
  auto exists = Run("card mgmt-key change --current-key-fd 0 --generate --out " + keyfile,
                    key_hex + "\n", &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_EQ(exists["error"]["code"], "invalid_argument");
  // 3DES only by name; an unknown algorithm is a usage error.
  auto bad_alg = Run("card mgmt-key change --current-key-fd 0 --generate --algorithm des",
                     key_hex + "\n", &rc);
  EXPECT_EQ(rc, 2);
  // Current key from the fd (algorithm from metadata), new AES-256 generated onto stdout.
  std::string raw;
  auto gen = Run("card mgmt-key change --current-key-fd 0 --generate --algorithm aes256",
                 key_hex + "\n", &rc, &raw);
  ASSERT_EQ(rc, 0) << raw;
  const std::string new_hex = gen["generated_key"];
  EXPECT_EQ(new_hex.size(), 64u);
  EXPECT_EQ(raw.find(new_hex), raw.rfind(new_hex));  // printed exactly once
  // Supplied key (3DES on explicit request).
  std::string des = "0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a09080";
  auto sup = Run("card mgmt-key change --current-key-fd 0 --new-key-fd 0 --algorithm 3des",
                 new_hex + "\n" + des + "\n", &rc);
  ASSERT_EQ(rc, 0) << sup.dump();
  state = softpiv::CardState::Load(dir_.File("card.json"));
  ASSERT_TRUE(state);
  EXPECT_EQ(state->mgmt_algorithm, piv::Algorithm::kTripleDes);
  EXPECT_EQ(HexEncode(state->mgmt_key.reveal()), des);
  auto st = Run("card status", "", &rc);
  EXPECT_EQ(st["management_key"]["default"], false);
  EXPECT_EQ(st["management_key"]["algorithm"], "3des");

  // The audit log never holds a key.
  auto recs = AuditRecords();
  int ok = 0;
  for (const auto& rec : recs) {
    const std::string line = rec.dump();
    for (const std::string& secret : {key_hex, new_hex, des}) {
      EXPECT_EQ(line.find(secret), std::string::npos) << line;
    }
    if (rec["action"] == "card.mgmt_key.change" && rec["outcome"] == "success") ++ok;
  }
  EXPECT_EQ(ok, 3);
  int vrc = testing::RunCommand(Keyward() + " audit verify --db " + db_ + " 2>&1", &raw);
  EXPECT_EQ(vrc, 0) << raw;
}

TEST_F(CardAdminCliTest, StatusWithoutMetadataNeverTriesThePin) {
  // A card with a key + certificate in 9A and a non-default management key... first the key.
  Insert();
  {
    auto provisioned = testing::ProvisionAuthenticationSlot("Status Holder", false);  // 2 left
    ASSERT_TRUE(provisioned) << provisioned.error().ToString();
  }
  card_.Stop();
  ASSERT_TRUE(testing::WaitForCard(false));
  Insert({"--test-no-vendor-extensions"});
  int rc = -1;
  auto st = Run("card status", "", &rc);
  ASSERT_EQ(rc, 0) << st.dump();
  EXPECT_FALSE(st["metadata_supported"].get<bool>());
  EXPECT_EQ(st["pin"]["retries_left"], 2);
  EXPECT_TRUE(st["pin"]["default"].is_null());
  EXPECT_TRUE(st["puk"]["default"].is_null());
  EXPECT_TRUE(st["puk"]["retries_left"].is_null());
  EXPECT_EQ(st["management_key"]["default"], true);
  EXPECT_EQ(st["management_key"]["source"], "default_key_probe");
  EXPECT_EQ(st["slots"][0]["key"], true);
  EXPECT_NE(st["slots"][0]["certificate"]["subject"].get<std::string>().find("Status Holder"),
            std::string::npos);
  EXPECT_TRUE(st["slots"][1]["key"].is_null());
  // Status touched no counter.
  auto state = softpiv::CardState::Load(dir_.File("card.json"));
  ASSERT_TRUE(state);
  EXPECT_EQ(state->pin_retries, 2);
  EXPECT_EQ(state->puk_retries, 3);
  // Without the vendor extension the management key cannot be changed: a clear code.
  auto mk = Run("card mgmt-key change --current-default --generate", "", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(mk["error"]["code"], "apdu_status_error");
  EXPECT_EQ(mk["error"]["native"], 0x6D00);
}

}  // namespace
}  // namespace keyward::pcsc
