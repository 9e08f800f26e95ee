// The audit record format and its SHA-256 hash chain.
//
// A record is one line of JSON (keys sorted, no whitespace):
//   {"action":..,"code":..,"event":..,...,"prev":"<64 hex>","seq":N,"ts":T,"hash":"<64 hex>"}
// where "hash" is always the last member and equals SHA-256 of the line without it (the body:
// the same text with `,"hash":"..."` removed). "prev" is the previous record's hash (64 zeros for
// seq 1). Changing, removing, inserting or reordering a line breaks the chain at that line;
// removing the newest lines is caught against the store's head record (sqlite_store.cc).
#ifndef KEYWARD_AUTHENTICATOR_AUDIT_CHAIN_H_
#define KEYWARD_AUTHENTICATOR_AUDIT_CHAIN_H_

#include <span>
#include <string>
#include <string_view>

#include "authenticator/credential_store.h"
#include "core/bytes.h"
#include "core/json.h"
#include "keyward/authenticator.h"

namespace keyward::authenticator {

inline constexpr std::string_view kAuditGenesis =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct ChainedLine {
  std::string line;  // the full record, "hash" included
  std::string hash;  // hex
};

// Adds seq, ts is expected in `body`; adds "prev", computes the hash and appends it.
ChainedLine ChainAuditRecord(Json body, uint64_t seq, std::string_view prev_hash);

// The pseudonyms audit records carry instead of identifiers: "ps_" (principal) or "cs_"
// (credential) and the first 16 bytes of HMAC-SHA-256 under the store's pseudonym key, in hex;
// empty for an empty identifier. The key is the store's, so every node of a store writes the
// same pseudonym for the same principal.
std::string PrincipalPseudonym(ByteSpan key, std::string_view principal_id);
std::string CredentialPseudonym(ByteSpan key, ByteSpan credential_id);

// The record of `e` before chaining (no "seq", "prev"): principal and credential given as their
// pseudonyms (empty: left out).
Json AuditBody(const AuditEvent& e, const std::string& principal_pseudonym,
               const std::string& credential_pseudonym);

// A record split around the values of "prev" and "seq", so a database can chain it where the
// previous hash is known (PostgreSQL's kw_audit_append):
//   before_prev + prev_hash + before_seq + decimal(seq) + after_seq
// is exactly the body ChainAuditRecord(body, seq, prev_hash) hashes. `body` must not hold
// "prev" or "seq".
struct AuditTemplate {
  std::string before_prev, before_seq, after_seq;
};
AuditTemplate SplitAuditRecord(Json body);

// Verifies consecutive records. The first line's "prev" must equal `expected_prev` when given
// (the genesis for a full log) and its "seq" `expected_first_seq` when non-zero.
// kAuditChainBroken, native = 1-based index of the first bad line within `lines`.
Result<AuditVerification> VerifyChainedLines(std::span<const std::string> lines,
                                             std::string_view expected_prev,
                                             uint64_t expected_first_seq);

}  // namespace keyward::authenticator

#endif  // KEYWARD_AUTHENTICATOR_AUDIT_CHAIN_H_
