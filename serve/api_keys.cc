#include "serve/api_keys.h"

#include <fstream>
#include <sstream>

#include "core/base64url.h"
#include "core/bytes.h"
#include "core/hash.h"

namespace keyward::serve {
namespace {
bool ValidName(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}
}  // namespace

Result<ApiKeys> ApiKeys::Parse(std::string_view text) {
  ApiKeys keys;
  size_t line_no = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    auto sp = line.find_first_of(" \t");
    std::string_view name = line.substr(0, sp);
    std::string_view rest = sp == std::string_view::npos ? "" : line.substr(sp + 1);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    auto bad = [&](const char* why) {
      return Fail(ErrorCode::kConfigInvalid,
                  "api keys file line " + std::to_string(line_no) + ": " + why);
    };
    if (!ValidName(name)) return bad("name must be 1-64 of [A-Za-z0-9._-]");
    if (rest.substr(0, 7) != "sha256:" || rest.size() != 7 + 64) {
      return bad("expected NAME sha256:<64 hex digits>");
    }
    auto hash = HexDecode(rest.substr(7));
    if (!hash || hash->size() != 32) return bad("hash is not 64 hex digits");
    Entry e;
    e.name = std::string(name);
    std::copy(hash->begin(), hash->end(), e.hash.begin());
    keys.entries_.push_back(std::move(e));
  }
  return keys;
}

Result<ApiKeys> ApiKeys::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrorCode::kConfigInvalid, "cannot read api keys file " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return Parse(s.str());
}

std::optional<std::string> ApiKeys::Check(std::string_view presented) const {
  Sha256Digest h = Sha256(AsBytes(presented));
  const Entry* match = nullptr;
  for (const Entry& e : entries_) {
    if (ConstantTimeEqual(h, e.hash) && match == nullptr) match = &e;
  }
  if (match == nullptr) return std::nullopt;
  return match->name;
}

Result<ApiKeys::Minted> ApiKeys::Mint(std::string_view name) {
  if (!ValidName(name)) {
    return Fail(ErrorCode::kInvalidArgument, "key name must be 1-64 of [A-Za-z0-9._-]");
  }
  KW_ASSIGN_OR_RETURN(Bytes raw, RandomBytes(32));
  Minted m;
  m.key = "kw_" + Base64UrlEncode(raw);
  Sha256Digest h = Sha256(AsBytes(m.key));
  m.line = std::string(name) + " sha256:" + HexEncode(h);
  return m;
}

}  // namespace keyward::serve
