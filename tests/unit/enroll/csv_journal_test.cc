// The users CSV parser, the card journal and the secrets file: structure, limits, every
// rejection code.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "core/hash.h"
#include "enroll/batch.h"
#include "enroll/card_secrets.h"
#include "enroll/enrollment.h"
#include "enroll/journal.h"
#include "enroll/users_csv.h"
#include "pcsc/piv_objects.h"

namespace keyward::enroll {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string t = std::filesystem::temp_directory_path().string() + "/kw-enroll.XXXXXX";
    path_ = mkdtemp(t.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(UsersCsvTest, ParsesQuotedFieldsAnyColumnOrderAndCrlf) {
  auto users = ParseUsersCsv(
      "\xEF\xBB\xBFupn,username,display_name,sid\r\n"
      "alice@corp.example,alice,\"Example, Alice \"\"Al\"\"\",S-1-5-21-1-2-3-1104\r\n"
      "\n"
      "bob@corp.example,bob,,\r\n");
  ASSERT_TRUE(users) << users.error().ToString();
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].username, "alice");
  EXPECT_EQ((*users)[0].display_name, "Example, Alice \"Al\"");
  EXPECT_EQ((*users)[0].sid, "S-1-5-21-1-2-3-1104");
  EXPECT_EQ((*users)[1].upn, "bob@corp.example");
  EXPECT_TRUE((*users)[1].sid.empty());
  EXPECT_TRUE((*users)[1].email.empty());
}

TEST(UsersCsvTest, Rejections) {
  struct Case {
    const char* text;
    ErrorCode code;
    uint32_t line;
  };
  const Case cases[] = {
      {"", ErrorCode::kEnrollCsvMalformed, 1},
      {"display_name,upn\nA,a@b.c\n", ErrorCode::kEnrollCsvMalformed, 1},
      {"username,phone\n", ErrorCode::kEnrollCsvMalformed, 1},
      {"username,upn,upn\n", ErrorCode::kEnrollCsvMalformed, 1},
      {"username,upn\nalice\n", ErrorCode::kEnrollCsvMalformed, 2},
      {"username,upn\nalice,a@b.c,x\n", ErrorCode::kEnrollCsvMalformed, 2},
      {"username,upn\n\"alice,a@b.c\n", ErrorCode::kEnrollCsvMalformed, 2},
      {"username,upn\n\"alice\"x,a@b.c\n", ErrorCode::kEnrollCsvMalformed, 2},
      {"username,upn\nal\"ice,a@b.c\n", ErrorCode::kEnrollCsvMalformed, 2},
      {"username,upn\nalice,a@b.c\nalice,a@b.c\n", ErrorCode::kEnrollCsvMalformed, 3},
      {"username,upn\nalice,a@b.c\rbob,b@b.c\n", ErrorCode::kEnrollCsvMalformed, 2},
      {"username,upn\n\"al\tice\",a@b.c\n", ErrorCode::kEnrollCsvMalformed, 2},
      {"username,upn\nal ice,a@b.c\n", ErrorCode::kEnrollUserInvalid, 2},
      {"username,upn\nalice,nope\n", ErrorCode::kEnrollUserInvalid, 2},
      {"username,email\nalice,\n", ErrorCode::kEnrollUserInvalid, 2},
      {"username,upn,sid\nalice,a@b.c,S-1-5\n", ErrorCode::kEnrollSidInvalid, 2},
  };
  for (const Case& c : cases) {
    auto r = ParseUsersCsv(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().code, c.code) << c.text;
    EXPECT_EQ(r.error().native, c.line) << c.text;
  }
  std::string long_line = "username,upn\n" + std::string(2000, 'a') + ",a@b.c\n";
  EXPECT_EQ(ParseUsersCsv(long_line).error().code, ErrorCode::kEnrollCsvMalformed);
  std::string big(kMaxCsvBytes + 1, '\n');
  EXPECT_EQ(ParseUsersCsv(big).error().code, ErrorCode::kEnrollCsvMalformed);
  std::string many = "username,upn\n";
  for (size_t i = 0; i <= kMaxCsvRows; ++i) many += "u" + std::to_string(i) + ",a@b.c\n";
  auto r = ParseUsersCsv(many);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kEnrollCsvMalformed);
  EXPECT_EQ(r.error().native, kMaxCsvRows + 2);
  EXPECT_EQ(LoadUsersCsv("/nonexistent/users.csv").error().code, ErrorCode::kIo);
}

TEST(JournalTest, StepsSurviveReopenAndResetKeepsHistory) {
  TempDir dir;
  auto j = Journal::Open(dir.path(), "00112233445566778899aabbccddeeff");
  ASSERT_TRUE(j);
  EXPECT_FALSE(j->exists());
  j->SetSubject("alice", "9a", "eccp256");
  ASSERT_TRUE(j->Mark(kStepKeyGenerated, {{"spki", "3059"}}));
  ASSERT_TRUE(j->Mark(kStepPinChanged, {{"generated", true}}));
  struct stat st {};
  ASSERT_EQ(stat(j->path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = Journal::Open(dir.path(), "00112233445566778899aabbccddeeff");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->exists());
  EXPECT_EQ(again->username(), "alice");
  EXPECT_TRUE(again->Done(kStepKeyGenerated));
  EXPECT_FALSE(again->Done(kStepCsrSigned));
  EXPECT_EQ(again->StepData(kStepKeyGenerated)["spki"], "3059");
  EXPECT_EQ(again->DoneSteps(), (std::vector<std::string>{kStepKeyGenerated, kStepPinChanged}));
  ASSERT_TRUE(again->MarkCompleted());
  ASSERT_TRUE(again->Reset());
  auto reset = Journal::Open(dir.path(), "00112233445566778899aabbccddeeff");
  ASSERT_TRUE(reset);
  EXPECT_FALSE(reset->completed());
  EXPECT_TRUE(reset->DoneSteps().empty());
  // No temporary files left behind.
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST(JournalTest, Rejections) {
  TempDir dir;
  EXPECT_EQ(Journal::Open(dir.path(), "../etc").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(Journal::Open(dir.path(), "ABCD").error().code, ErrorCode::kInvalidArgument);
  for (const char* bad :
       {"not json", "{\"version\":2,\"guid\":\"aa\",\"steps\":[]}",
        "{\"version\":1,\"guid\":\"bb\",\"steps\":[]}",
        "{\"version\":1,\"guid\":\"aa\",\"steps\":[1]}", "{\"version\":1,\"guid\":\"aa\"}"}) {
    std::ofstream(dir.path() + "/aa.json") << bad;
    auto j = Journal::Open(dir.path(), "aa");
    ASSERT_FALSE(j) << bad;
    EXPECT_EQ(j.error().code, ErrorCode::kEnrollJournalCorrupt) << bad;
  }
}

TEST(ReportTest, EnrolledUsersAreReadBackAndATornLastLineIsIgnored) {
  TempDir dir;
  std::string path = dir.path() + "/report.jsonl";
  auto none = EnrolledInReport(path);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(AppendReportLine(path, {{"username", "alice"}, {"status", "enrolled"}}));
  ASSERT_TRUE(AppendReportLine(path, {{"username", "bob"}, {"status", "failed"}}));
  std::ofstream(path, std::ios::app) << "{\"username\":\"car";
  auto done = EnrolledInReport(path);
  ASSERT_TRUE(done) << done.error().ToString();
  EXPECT_EQ(*done, std::set<std::string>{"alice"});
  std::ofstream(path, std::ios::app) << "\n{\"username\":\"dave\",\"status\":\"enrolled\"}\n";
  auto torn_middle = EnrolledInReport(path);
  ASSERT_FALSE(torn_middle);
  EXPECT_EQ(torn_middle.error().code, ErrorCode::kEnrollJournalCorrupt);
}

TEST(SecretsTest, ParseGenerateAndRejections) {
  auto s = CardSecrets::Parse(
      "# card 17\ncurrent_pin=123456\nnew_pin=24681357\n"
      "new_management_key=000102030405060708090a0b0c0d0e0f1011121314151617\n");
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ(s->current_pin->reveal_chars(), "123456");
  EXPECT_EQ(s->new_management_key->size(), 24u);
  EXPECT_FALSE(s->new_puk);
  struct Case {
    const char* text;
    ErrorCode code;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"pin=123456\n", ErrorCode::kEnrollSecretsInvalid},
           {"new_pin 123456\n", ErrorCode::kEnrollSecretsInvalid},
           {"new_pin=123456\nnew_pin=123456\n", ErrorCode::kEnrollSecretsInvalid},
           {"new_management_key=zz\n", ErrorCode::kEnrollSecretsInvalid},
           {"new_pin=12345\n", ErrorCode::kPinInvalid},
           {"new_pin=123456789\n", ErrorCode::kPinInvalid}}) {
    auto r = CardSecrets::Parse(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().code, c.code) << c.text;
    EXPECT_EQ(r.error().detail.find("123456"), std::string::npos);  // never a value
  }
  auto pin = GenerateNumericSecret(8);
  ASSERT_TRUE(pin);
  EXPECT_EQ(pin->size(), 8u);
  for (uint8_t c : pin->reveal()) EXPECT_TRUE(c >= '0' && c <= '9');
  EXPECT_EQ(GenerateManagementKey(pcsc::piv::Algorithm::kAes192)->size(), 24u);
  EXPECT_EQ(GenerateManagementKey(pcsc::piv::Algorithm::kAes256)->size(), 32u);
  EXPECT_EQ(*ManagementKeyAlgorithm("aes192", false), pcsc::piv::Algorithm::kAes192);
  EXPECT_EQ(ManagementKeyAlgorithm("3des", false).error().code,
            ErrorCode::kInsecureAlgorithmRefused);
  EXPECT_EQ(*ManagementKeyAlgorithm("3des", true), pcsc::piv::Algorithm::kTripleDes);
  EXPECT_EQ(ManagementKeyAlgorithm("des", true).error().code, ErrorCode::kEnrollOptionsInvalid);
  EXPECT_EQ(
      MakeManagementKey(pcsc::piv::Algorithm::kAes256, SecretBytes(Bytes(24, 1))).error().code,
      ErrorCode::kEnrollSecretsInvalid);
}

TEST(CompressionTest, CompressesOnlyWhatDoesNotFit) {
  Bytes small(500, 0x41);
  EXPECT_FALSE(*ChooseCompression(small, kDefaultMaxObjectSize));
  Bytes big(4000, 0x41);  // compresses well
  EXPECT_TRUE(*ChooseCompression(big, kDefaultMaxObjectSize));
  Bytes random = *RandomBytes(4000);
  EXPECT_EQ(ChooseCompression(random, kDefaultMaxObjectSize).error().code,
            ErrorCode::kEnrollCertificateTooLarge);
}

}  // namespace
}  // namespace keyward::enroll
