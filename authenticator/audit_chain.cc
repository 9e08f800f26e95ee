#include "authenticator/audit_chain.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

#include "core/hash.h"

namespace keyward::authenticator {
namespace {

constexpr std::string_view kHashPrefix = ",\"hash\":\"";
constexpr size_t kSuffixLen = kHashPrefix.size() + 64 + 2;  // ,"hash":"<64>"}

std::string HashHex(std::string_view body) { return HexEncode(Sha256(AsBytes(body))); }

Unexpected Broken(size_t line_no, std::string detail) {
  return Fail(ErrorCode::kAuditChainBroken,
              "line " + std::to_string(line_no) + ": " + std::move(detail),
              static_cast<uint32_t>(line_no));
}

}  // namespace

namespace {
std::string Hmac16Hex(ByteSpan key, std::string_view domain, ByteSpan data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  Bytes msg(domain.begin(), domain.end());
  msg.push_back(0);
  msg.insert(msg.end(), data.begin(), data.end());
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), msg.data(), msg.size(), out,
       &out_len);
  return HexEncode(ByteSpan(out, 16));
}
}  // namespace

std::string PrincipalPseudonym(ByteSpan key, std::string_view principal_id) {
  if (principal_id.empty()) return "";
  return "ps_" + Hmac16Hex(key, "principal", AsBytes(principal_id));
}

std::string CredentialPseudonym(ByteSpan key, ByteSpan credential_id) {
  if (credential_id.empty()) return "";
  return "cs_" + Hmac16Hex(key, "credential", credential_id);
}

ChainedLine ChainAuditRecord(Json body, uint64_t seq, std::string_view prev_hash) {
  body["seq"] = seq;
  body["prev"] = std::string(prev_hash);
  std::string text = body.dump();  // object keys are sorted: deterministic
  std::string hash = HashHex(text);
  text.pop_back();  // '}'
  text += kHashPrefix;
  text += hash;
  text += "\"}";
  return ChainedLine{std::move(text), std::move(hash)};
}

Json AuditBody(const AuditEvent& e, const std::string& principal_pseudonym,
               const std::string& credential_pseudonym) {
  Json body = Json::object();
  body["ts"] = e.time;
  body["event"] = e.event;
  body["outcome"] = e.outcome;
  if (!e.code.empty()) body["code"] = e.code;
  if (!principal_pseudonym.empty()) body["principal"] = principal_pseudonym;
  if (!credential_pseudonym.empty()) body["credential"] = credential_pseudonym;
  if (!e.kind.empty()) body["kind"] = e.kind;
  if (!e.aal.empty()) body["aal"] = e.aal;
  if (!e.action.empty()) body["action"] = e.action;
  if (!e.risk.empty()) body["risk"] = e.risk;
  if (!e.reasons.empty()) body["reasons"] = e.reasons;
  if (!e.subject.empty()) body["subject"] = e.subject;
  if (e.details.is_object()) body["details"] = e.details;
  return body;
}

AuditTemplate SplitAuditRecord(Json body) {
  // Json objects iterate in key order, exactly as dump() writes them.
  body["prev"] = "";
  body["seq"] = 0;
  AuditTemplate t;
  std::string piece = "{";
  bool first = true;
  for (const auto& [key, value] : body.items()) {
    if (!first) piece += ',';
    first = false;
    piece += Json(key).dump();
    piece += ':';
    if (key == "prev") {
      piece += '"';
      t.before_prev = std::move(piece);
      piece = "\"";
    } else if (key == "seq") {
      t.before_seq = std::move(piece);
      piece.clear();
    } else {
      piece += value.dump();
    }
  }
  piece += '}';
  t.after_seq = std::move(piece);
  return t;
}

Result<AuditVerification> VerifyChainedLines(std::span<const std::string> lines,
                                             std::string_view expected_prev,
                                             uint64_t expected_first_seq) {
  AuditVerification v;
  std::string prev(expected_prev);
  uint64_t next_seq = expected_first_seq;
  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t line_no = i + 1;
    const std::string& line = lines[i];
    if (line.size() <= kSuffixLen || line.back() != '}' ||
        line.compare(line.size() - kSuffixLen, kHashPrefix.size(), kHashPrefix) != 0 ||
        line[line.size() - 2] != '"') {
      return Broken(line_no, "no hash member");
    }
    const std::string stated_hash = line.substr(line.size() - kSuffixLen + kHashPrefix.size(), 64);
    std::string body = line.substr(0, line.size() - kSuffixLen) + "}";
    if (HashHex(body) != stated_hash) return Broken(line_no, "hash does not match the record");
    auto parsed = ParseJson(body);
    if (!parsed || !parsed->is_object()) return Broken(line_no, "record is not JSON");
    const Json& j = *parsed;
    auto p = j.find("prev");
    auto s = j.find("seq");
    if (p == j.end() || !p->is_string() || s == j.end() || !s->is_number_unsigned()) {
      return Broken(line_no, "record lacks prev/seq");
    }
    const uint64_t seq = s->get<uint64_t>();
    if (!prev.empty() && p->get<std::string>() != prev) {
      return Broken(line_no, "prev does not match the previous record's hash");
    }
    if (next_seq != 0 && seq != next_seq) return Broken(line_no, "sequence gap");
    prev = stated_hash;
    next_seq = seq + 1;
    ++v.records;
  }
  v.head_hash = prev;
  return v;
}

Result<AuditVerification> VerifyAuditLines(std::span<const std::string> lines) {
  // A full export starts at seq 1 with the genesis; a tail starts anywhere but must be unbroken.
  std::string_view expected_prev;
  uint64_t first_seq = 0;
  if (!lines.empty()) {
    auto first = ParseJson(lines.front().size() > kSuffixLen
                               ? lines.front().substr(0, lines.front().size() - kSuffixLen) + "}"
                               : std::string());
    if (first && first->is_object() && first->contains("seq") && (*first)["seq"] == 1) {
      expected_prev = kAuditGenesis;
      first_seq = 1;
    }
  }
  return VerifyChainedLines(lines, expected_prev, first_seq);
}

}  // namespace keyward::authenticator
