#include "pkcs11/mapping_rules.h"

#include <gtest/gtest.h>

#include "tests/unit/pkcs11/test_pki.h"

namespace keyward::pkcs11 {
namespace {

using testing::kDay;

class MappingRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    now_ = UnixNow();
    ca_ = testing::TestCa::Create("Corp Issuing CA", now_);
    key_ = testing::GenerateKey("EC:prime256v1");
  }
  Certificate Issue(testing::LeafSpec spec) {
    spec.not_before = now_ - kDay;
    spec.not_after = now_ + kDay;
    X509Ptr c = testing::IssueLeaf(ca_, key_.get(), spec);
    return testing::ToCertificate(c.get());
  }
  Result<MappedAccount> Map(const std::string& rules, const Certificate& cert) {
    auto r = MappingRules::Parse(rules);
    if (!r) return Fail(r.error());
    return r->Map(cert);
  }

  int64_t now_ = 0;
  testing::TestCa ca_;
  EvpPkeyPtr key_;
};

TEST_F(MappingRulesTest, FactsReadUpnEmailSidEkuKu) {
  testing::LeafSpec s;
  s.cn = "Alice";
  s.upn = {"alice@corp.example"};
  s.email = {"alice@mail.example"};
  s.sid = "S-1-5-21-1004336348-1177238915-682003330-512";
  Certificate cert = Issue(s);
  CertificateFacts f = CertificateFacts::From(cert);
  EXPECT_EQ(f.san_upn, std::vector<std::string>{"alice@corp.example"});
  EXPECT_EQ(f.san_email, std::vector<std::string>{"alice@mail.example"});
  EXPECT_EQ(f.sid, std::vector<std::string>{"S-1-5-21-1004336348-1177238915-682003330-512"});
  EXPECT_EQ(f.cn, std::vector<std::string>{"Alice"});
  EXPECT_TRUE(f.has_key_usage);
  EXPECT_NE(std::find(f.ekus.begin(), f.ekus.end(), "1.3.6.1.4.1.311.20.2.2"), f.ekus.end());
}

TEST_F(MappingRulesTest, EverySourceMaps) {
  testing::LeafSpec s;
  s.cn = "Alice";
  s.upn = {"alice@corp.example"};
  s.email = {"a.smith@mail.example"};
  s.sid = "S-1-5-21-1-2-3-1001";
  Certificate cert = Issue(s);
  auto m = [&](const char* src) {
    auto r = Map(std::string("rule r: <SUBJECT>.* => ") + src + "\n", cert);
    EXPECT_TRUE(r) << src;
    return r ? r->account : std::string();
  };
  EXPECT_EQ(m("upn"), "alice@corp.example");
  EXPECT_EQ(m("upn-user"), "alice");
  EXPECT_EQ(m("email"), "a.smith@mail.example");
  EXPECT_EQ(m("email-user"), "a.smith");
  EXPECT_EQ(m("cn"), "Alice");
  EXPECT_EQ(m("subject"), cert.Subject());
  EXPECT_EQ(m("issuer-serial"), cert.Issuer() + "/" + cert.SerialHex());
  EXPECT_EQ(m("fingerprint"), "sha256:" + HexEncode(cert.Fingerprint()));
  EXPECT_EQ(m("sid"), "S-1-5-21-1-2-3-1001");
}

TEST_F(MappingRulesTest, AndBindsTighterThanOr) {
  testing::LeafSpec s;
  s.upn = {"alice@corp.example"};
  s.eku = "clientAuth";
  Certificate cert = Issue(s);
  // false && true || true  → true
  EXPECT_TRUE(Map("rule r: <EKU>smartcardLogon && <SUBJECT>.* || <ISSUER>Corp => upn", cert));
  // true && false → false
  EXPECT_EQ(Map("rule r: <EKU>clientAuth && <ISSUER>^CN=Nope => upn", cert).error().code,
            ErrorCode::kMappingNoMatch);
  EXPECT_TRUE(Map("rule r: <EKU>clientAuth && <KU>digitalSignature => upn", cert));
  EXPECT_EQ(Map("rule r: <KU>digitalSignature,keyEncipherment => upn", cert).error().code,
            ErrorCode::kMappingNoMatch);
  EXPECT_TRUE(Map("rule r: <EKU>1.3.6.1.5.5.7.3.2 => upn", cert));
  EXPECT_TRUE(Map("rule r: <SAN:upn>^alice@corp\\.example$ => upn", cert));
  EXPECT_EQ(Map("rule r: <SAN:email>.* => upn", cert).error().code, ErrorCode::kMappingNoMatch);
}

TEST_F(MappingRulesTest, FirstRuleWhoseSourceExistsWins) {
  testing::LeafSpec s;
  s.upn.clear();
  s.email = {"bob@mail.example"};
  Certificate cert = Issue(s);
  auto r =
      Map("rule by-upn: <SUBJECT>.* => upn\n"
          "\n"
          "   # comment\n"
          "rule by-mail: <SAN:email>@mail\\.example$ => email-user\r\n",
          cert);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->account, "bob");
  EXPECT_EQ(r->rule, "by-mail");
  EXPECT_EQ(r->source, "email-user");
}

TEST_F(MappingRulesTest, DefaultRulesUseUpnThenEmail) {
  testing::LeafSpec s;
  s.upn = {"carol@corp.example"};
  EXPECT_EQ(MappingRules::Default().Map(Issue(s))->account, "carol@corp.example");
  testing::LeafSpec none;
  EXPECT_EQ(MappingRules::Default().Map(Issue(none)).error().code, ErrorCode::kMappingNoMatch);
}

TEST(MappingRulesParseTest, StrictParser) {
  const char* bad[] = {
      "",
      "# only a comment\n",
      "rule r <SUBJECT>.* => upn",
      "rule r: <SUBJECT>.* => nobody",
      "rule r: <SUBJECT>.* =>",
      "rule r: => upn",
      "rule r: <SUBJECT>.* && => upn",
      "rule r: && <SUBJECT>.* => upn",
      "rule r: <SUBJECT>.* <ISSUER>.* => upn",
      "rule r: <SUBJECT> => upn",
      "rule r: <SUBJECT>( => upn",
      "rule r: <COLOUR>red => upn",
      "rule r: <SAN:fax>1 => upn",
      "rule r: <KU>digitalSignature,flying => upn",
      "rule r: <EKU>3.1.2 => upn",
      "rule r: <EKU>1.02.3 => upn",
      "rule r: <EKU>1. => upn",
      "rule r: <SUBJECT.* => upn",
      "rule r: <SUBJECT>.* => upn\nrule r: <SUBJECT>.* => email",
      "rule bad/name: <SUBJECT>.* => upn",
      "rules r: <SUBJECT>.* => upn",
      "rule r: <SUBJECT>.*\x01 => upn",
      // Found by the fuzzer: libstdc++ overflows on long numbers in these.
      "rule r: <SAN:email>@mail\\666666666666666666666666 => upn",
      "rule r: <SUBJECT>(a)\\1 => upn",
      "rule r: <SUBJECT>a{99999999999999999999} => upn",
      "rule r: <SUBJECT>a{1,123456} => upn",
      "rule r: <SAN:upn>@c*****x => upn",
      "rule r: <SAN:upn>c+* => upn",
      "rule r: <SAN:upn>c{2}* => upn",
      "rule r: <SAN:upn>c*?? => upn",
  };
  for (const char* text : bad) {
    auto r = MappingRules::Parse(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, ErrorCode::kMappingRuleInvalid) << text;
  }
  EXPECT_EQ(
      MappingRules::Parse("rule r: <SUBJECT>" + std::string(300, 'a') + " => upn").error().code,
      ErrorCode::kMappingRuleInvalid);
  EXPECT_EQ(MappingRules::Parse(std::string(70 * 1024, '#')).error().code,
            ErrorCode::kMappingRuleInvalid);
  auto ok = MappingRules::Parse(
      "rule a.b-c_1: <SUBJECT>.*? => upn\n\trule x: <ISSUER>y{1,9999}\\d\\{123456[*+]+ => cn\n");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->size(), 2u);
}

}  // namespace
}  // namespace keyward::pkcs11
