// Store URLs (ParseStoreUrl, Redacted) and the audit record split PostgreSQL chains on the server
// (SplitAuditRecord must reproduce exactly the text ChainAuditRecord hashes).
#include "authenticator/store_url.h"

#include <gtest/gtest.h>

#include "authenticator/audit_chain.h"
#include "core/hash.h"

namespace keyward::authenticator {
namespace {

TEST(StoreUrl, SqliteForms) {
  for (const auto& [url, path] : std::vector<std::pair<std::string, std::string>>{
           {"keyward.db", "keyward.db"},
           {"/var/lib/keyward/k.db", "/var/lib/keyward/k.db"},
           {"sqlite:k.db", "k.db"},
           {"sqlite:/abs/k.db", "/abs/k.db"},
           {"sqlite:///abs/k.db", "/abs/k.db"},
           {"./weird:name.db", "./weird:name.db"}}) {
    auto u = ParseStoreUrl(url);
    ASSERT_TRUE(u) << url;
    EXPECT_EQ(u->backend, StoreUrl::Backend::kSqlite) << url;
    EXPECT_EQ(u->target, path) << url;
  }
}

TEST(StoreUrl, PostgresForms) {
  for (const std::string url : {"postgresql:///keyward?host=/tmp/sock", "postgres://h/db",
                                "postgresql://u:secret@h1,h2/db?target_session_attrs=read-write"}) {
    auto u = ParseStoreUrl(url);
    ASSERT_TRUE(u) << url;
    EXPECT_EQ(u->backend, StoreUrl::Backend::kPostgres);
    EXPECT_EQ(u->target, url);
  }
}

TEST(StoreUrl, RejectsEmptyAndUnknownSchemes) {
  for (const std::string url : {"", "sqlite:", "sqlite://", "mysql://h/db", "redis://x"}) {
    auto u = ParseStoreUrl(url);
    ASSERT_FALSE(u) << url;
    EXPECT_EQ(u.error().code, ErrorCode::kStoreUrlInvalid) << url;
  }
}

TEST(StoreUrl, RedactedHidesPasswords) {
  auto u = ParseStoreUrl("postgresql://kw:s3cret@db1/keyward?sslmode=require&password=other");
  ASSERT_TRUE(u);
  const std::string r = u->Redacted();
  EXPECT_EQ(r.find("s3cret"), std::string::npos) << r;
  EXPECT_EQ(r.find("other"), std::string::npos) << r;
  EXPECT_NE(r.find("kw:***@db1"), std::string::npos) << r;
  EXPECT_EQ(ParseStoreUrl("k.db")->Redacted(), "sqlite:k.db");
}

TEST(StoreUrl, UnknownBackendAtOpenIsNotSilentlySqlite) {
  auto u = ParseStoreUrl("postgresql:///nowhere?host=/nonexistent-kw-dir&connect_timeout=1");
  ASSERT_TRUE(u);
  auto s = OpenCredentialStore(*u, StoreOpenOptions{});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kStoreUnavailable);
}

TEST(AuditSplit, PiecesReassembleTheHashedRecord) {
  AuditEvent e;
  e.time = 1700000000;
  e.event = "admin";
  e.outcome = "failure";
  e.code = "pin_incorrect";
  e.action = "card.pin.change";
  e.risk = {"first_use"};
  e.reasons = {"rule \"x\""};
  e.subject = "guid:00ff";
  // Members named like the chain's own, non-ASCII and escapes inside details: only the
  // top-level prev/seq are spliced.
  e.details = Json{{"prev", "zz"}, {"seq", 3}, {"note", "ünï\"\\\n"}, {"nested", {{"a", 1}}}};
  for (const std::string principal : {"", "ps_0123"}) {
    Json body = AuditBody(e, principal, "cs_99");
    const std::string prev(64, 'a');
    for (uint64_t seq : {1ull, 42ull, 18446744073709551615ull}) {
      AuditTemplate t = SplitAuditRecord(body);
      const std::string spliced =
          t.before_prev + prev + t.before_seq + std::to_string(seq) + t.after_seq;
      ChainedLine chained = ChainAuditRecord(body, seq, prev);
      // The chained line is the body (what was hashed) with ,"hash":"..." before the final brace.
      EXPECT_EQ(spliced.substr(0, spliced.size() - 1),
                chained.line.substr(0, chained.line.size() - 75));
      EXPECT_EQ(HexEncode(Sha256(AsBytes(spliced))), chained.hash);
    }
  }
}

}  // namespace
}  // namespace keyward::authenticator
