#include "pam/pam_config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "core/text_lines.h"
#include "keyward/authenticator.h"
#include "pam/owned_file.h"

namespace keyward::pam {
namespace {

constexpr size_t kMaxFile = 64 * 1024;
constexpr size_t kMaxLine = 4096;
constexpr size_t kMaxSections = 256;

enum class Kind {
  kWord,     // exactly one word
  kWords,    // one or more words
  kBool,     // yes | no
  kSeconds,  // integer in [min, max]
  kChoice,   // one word of `choices`
  kChoices,  // one or more words of `choices`, no repeats
};

struct KeySpec {
  const char* name;
  Kind kind;
  int min = 0;
  int max = 0;
  std::vector<std::string_view> choices = {};
};

const std::vector<KeySpec>& Keys() {
  static const std::vector<KeySpec> keys = {
      {"methods", Kind::kChoices, 0, 0, {"card", "fido"}},
      {"allow_remote", Kind::kBool},
      {"no_credential", Kind::kChoice, 0, 0, {"fail", "ignore"}},
      {"card_module", Kind::kWord},
      {"card_token", Kind::kWord},
      {"card_ca", Kind::kWords},
      {"card_crl", Kind::kWords},
      {"card_ocsp", Kind::kWord},
      {"card_ocsp_failure", Kind::kChoice, 0, 0, {"hard", "soft", "crl"}},
      {"card_ocsp_timeout", Kind::kSeconds, 1, 600},
      {"card_ocsp_cache", Kind::kWord},
      {"card_eku", Kind::kWords},
      {"card_rules", Kind::kWord},
      {"card_wait", Kind::kSeconds, 0, 600},
      {"card_timeout", Kind::kSeconds, 1, 600},
      {"card_pinpad", Kind::kBool},
      {"fido_credentials", Kind::kWord},
      {"fido_store", Kind::kWord},
      {"fido_device", Kind::kWord},
      {"fido_origin", Kind::kWord},
      {"fido_verification", Kind::kChoice, 0, 0, {"presence", "pin", "uv"}},
      {"fido_timeout", Kind::kSeconds, 1, 600},
      {"fido_wait", Kind::kSeconds, 0, 600},
      {"fido_cue", Kind::kBool},
  };
  return keys;
}

const KeySpec* FindKey(std::string_view name) {
  for (const auto& k : Keys()) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsBlank(s[i])) ++i;
    size_t start = i;
    while (i < s.size() && !IsBlank(s[i])) ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

Unexpected LineError(size_t line, const std::string& what) {
  return Fail(ErrorCode::kConfigInvalid, "line " + std::to_string(line) + ": " + what);
}

bool ValidName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

Result<int> ParseSeconds(const std::string& w, const KeySpec& k, size_t line) {
  int v = 0;
  auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
  if (ec != std::errc() || p != w.data() + w.size() || v < k.min || v > k.max) {
    return LineError(line, std::string(k.name) + " must be a whole number of seconds from " +
                               std::to_string(k.min) + " to " + std::to_string(k.max));
  }
  return v;
}

bool IsChoice(const KeySpec& k, const std::string& w) {
  return std::find(k.choices.begin(), k.choices.end(), w) != k.choices.end();
}

std::string ChoiceList(const KeySpec& k) {
  std::string s;
  for (auto c : k.choices) s += (s.empty() ? "" : ", ") + std::string(c);
  return s;
}

Result<void> CheckValue(const KeySpec& k, const std::vector<std::string>& words, size_t line) {
  if (words.empty()) return LineError(line, std::string(k.name) + " has no value");
  switch (k.kind) {
    case Kind::kWord:
    case Kind::kBool:
    case Kind::kSeconds:
    case Kind::kChoice:
      if (words.size() != 1) return LineError(line, std::string(k.name) + " takes one value");
      break;
    case Kind::kWords:
    case Kind::kChoices:
      if (words.size() > 64) return LineError(line, std::string(k.name) + ": too many values");
      break;
  }
  switch (k.kind) {
    case Kind::kBool:
      if (words[0] != "yes" && words[0] != "no")
        return LineError(line, std::string(k.name) + " must be yes or no");
      break;
    case Kind::kSeconds:
      KW_TRY(ParseSeconds(words[0], k, line));
      break;
    case Kind::kChoice:
      if (!IsChoice(k, words[0]))
        return LineError(line, std::string(k.name) + " must be one of: " + ChoiceList(k));
      break;
    case Kind::kChoices:
      for (size_t i = 0; i < words.size(); ++i) {
        if (!IsChoice(k, words[i]))
          return LineError(line, std::string(k.name) + " values are: " + ChoiceList(k));
        if (std::find(words.begin(), words.begin() + i, words[i]) != words.begin() + i)
          return LineError(line, std::string(k.name) + " lists " + words[i] + " twice");
      }
      break;
    case Kind::kWord:
    case Kind::kWords:
      break;
  }
  return {};
}

std::string SectionLabel(const std::string& name) {
  return name.empty() ? "[default]" : "[service " + name + "]";
}

}  // namespace

std::string_view MethodName(Method m) { return m == Method::kCard ? "card" : "fido"; }

std::string_view OcspFailureName(OcspFailure f) {
  switch (f) {
    case OcspFailure::kHard:
      return "hard";
    case OcspFailure::kSoft:
      return "soft";
    case OcspFailure::kCrl:
      return "crl";
  }
  return "hard";
}

std::string_view FidoVerificationName(FidoVerification v) {
  switch (v) {
    case FidoVerification::kPresence:
      return "presence";
    case FidoVerification::kPin:
      return "pin";
    case FidoVerification::kUv:
      return "uv";
  }
  return "presence";
}

std::string EkuOid(const std::string& name) {
  if (name == "smartcardLogon") return "1.3.6.1.4.1.311.20.2.2";
  if (name == "clientAuth") return "1.3.6.1.5.5.7.3.2";
  return name;
}

Result<PamConfig> PamConfig::Parse(std::string_view text) {
  if (text.size() > kMaxFile) return Fail(ErrorCode::kConfigInvalid, "file over 64 KiB");
  PamConfig cfg;
  Section* current = nullptr;
  TextLines lines(text);
  std::string_view raw;
  while (lines.Next(raw)) {
    const size_t n = lines.number();
    if (raw.size() > kMaxLine) return LineError(n, "line over 4096 bytes");
    for (char c : raw) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
        return LineError(n, "control character");
    }
    std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return LineError(n, "a section header ends with ']'");
      auto words = Words(line.substr(1, line.size() - 2));
      std::string name;
      if (words.size() == 1 && words[0] == "default") {
        name = "";
      } else if (words.size() == 2 && words[0] == "service") {
        if (!ValidName(words[1]))
          return LineError(n, "a service name is 1-64 characters of A-Z a-z 0-9 . _ -");
        name = words[1];
      } else {
        return LineError(n, "sections are [default] and [service NAME]");
      }
      if (cfg.sections_.count(name)) return LineError(n, SectionLabel(name) + " given twice");
      if (cfg.sections_.size() >= kMaxSections) return LineError(n, "too many sections");
      current = &cfg.sections_[name];
      if (!name.empty()) cfg.order_.push_back(name);
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return LineError(n, "expected key = value");
    std::string key(Trim(line.substr(0, eq)));
    const KeySpec* spec = FindKey(key);
    if (!spec) return LineError(n, "unknown key '" + key.substr(0, 64) + "'");
    if (!current) return LineError(n, "settings go inside [default] or [service NAME]");
    if (current->count(key)) return LineError(n, key + " given twice in this section");
    auto words = Words(line.substr(eq + 1));
    KW_TRY(CheckValue(*spec, words, n));
    (*current)[key] = Entry{std::move(words), n};
  }
  return cfg;
}

Result<PamConfig> PamConfig::Load(const std::string& path, bool check_owner) {
  OwnedFileRules rules;
  rules.max_size = kMaxFile;
  if (check_owner) {
    rules.owners = {0};
    rules.forbidden_mode = S_IWGRP | S_IWOTH;
  }
  auto read = ReadOwnedFile(path, rules);
  if (auto* f = std::get_if<OwnedFileFailure>(&read)) {
    using Kind = OwnedFileFailure::Kind;
    switch (f->kind) {
      case Kind::kBadOwner:
      case Kind::kBadMode:
        return Fail(ErrorCode::kPermissionDenied,
                    path + " must be owned by root and writable by nobody else");
      case Kind::kNotRegular:
      case Kind::kTooLarge:
        return Fail(ErrorCode::kConfigInvalid, f->detail);
      case Kind::kMissing:
      case Kind::kSymlink:
      case Kind::kIo:
        return Fail(ErrorCode::kIo, f->detail, static_cast<uint32_t>(f->err));
    }
  }
  auto cfg = Parse(std::get<std::string>(read));
  if (!cfg) return Fail(cfg.error().code, path + ": " + cfg.error().detail);
  return cfg;
}

std::vector<std::string> PamConfig::Services() const { return order_; }

Result<ServicePolicy> PamConfig::Resolve(std::string_view service) const {
  auto own = sections_.find(service);
  auto def = sections_.find(std::string_view());
  if (service.empty() || own == sections_.end()) own = sections_.end();
  if (own == sections_.end() && def == sections_.end()) {
    return Fail(ErrorCode::kConfigInvalid,
                "no [service " + std::string(service) + "] section and no [default]");
  }
  ServicePolicy p;
  p.service = own != sections_.end() ? std::string(service) : "default";
  const std::string label = own != sections_.end() ? SectionLabel(p.service) : "[default]";
  auto get = [&](const char* key) -> const Entry* {
    if (own != sections_.end()) {
      auto it = own->second.find(key);
      if (it != own->second.end()) return &it->second;
    }
    if (def != sections_.end()) {
      auto it = def->second.find(key);
      if (it != def->second.end()) return &it->second;
    }
    return nullptr;
  };
  auto word = [&](const char* key, std::string& out) {
    if (const Entry* e = get(key)) out = e->words[0];
  };
  auto words = [&](const char* key, std::vector<std::string>& out) {
    if (const Entry* e = get(key)) out = e->words;
  };
  auto flag = [&](const char* key, bool& out) {
    if (const Entry* e = get(key)) out = e->words[0] == "yes";
  };
  auto seconds = [&](const char* key, int& out) -> Result<void> {
    if (const Entry* e = get(key)) {
      KW_ASSIGN_OR_RETURN(out, ParseSeconds(e->words[0], *FindKey(key), e->line));
    }
    return {};
  };

  if (const Entry* e = get("methods")) {
    for (const auto& w : e->words) p.methods.push_back(w == "card" ? Method::kCard : Method::kFido);
  }
  flag("allow_remote", p.allow_remote);
  if (const Entry* e = get("no_credential")) p.ignore_unenrolled = e->words[0] == "ignore";
  word("card_module", p.card_module);
  word("card_token", p.card_token);
  words("card_ca", p.card_ca);
  words("card_crl", p.card_crl);
  p.card_ocsp = "off";
  word("card_ocsp", p.card_ocsp);
  if (const Entry* e = get("card_ocsp_failure")) {
    const auto& w = e->words[0];
    p.card_ocsp_failure = w == "soft"  ? OcspFailure::kSoft
                          : w == "crl" ? OcspFailure::kCrl
                                       : OcspFailure::kHard;
  }
  KW_TRY(seconds("card_ocsp_timeout", p.card_ocsp_timeout));
  word("card_ocsp_cache", p.card_ocsp_cache);
  words("card_eku", p.card_eku);
  word("card_rules", p.card_rules);
  KW_TRY(seconds("card_wait", p.card_wait));
  KW_TRY(seconds("card_timeout", p.card_timeout));
  flag("card_pinpad", p.card_pinpad);
  word("fido_credentials", p.fido_credentials);
  word("fido_store", p.fido_store);
  word("fido_device", p.fido_device);
  word("fido_origin", p.fido_origin);
  if (const Entry* e = get("fido_verification")) {
    const auto& w = e->words[0];
    p.fido_verification = w == "pin"  ? FidoVerification::kPin
                          : w == "uv" ? FidoVerification::kUv
                                      : FidoVerification::kPresence;
  }
  KW_TRY(seconds("fido_timeout", p.fido_timeout));
  KW_TRY(seconds("fido_wait", p.fido_wait));
  flag("fido_cue", p.fido_cue);

  auto invalid = [&](const std::string& what) {
    return Fail(ErrorCode::kConfigInvalid, label + ": " + what);
  };
  if (p.methods.empty()) return invalid("methods is not set (card, fido or both)");
  bool card = std::find(p.methods.begin(), p.methods.end(), Method::kCard) != p.methods.end();
  bool fido = std::find(p.methods.begin(), p.methods.end(), Method::kFido) != p.methods.end();
  if (card) {
    if (p.card_ca.empty()) return invalid("the card method needs card_ca (trusted CA files)");
    if (p.card_ocsp != "off" && p.card_ocsp != "aia" && p.card_ocsp.rfind("http://", 0) != 0)
      return invalid("card_ocsp is off, aia or an http:// URL");
    if (p.card_ocsp_failure == OcspFailure::kCrl && p.card_crl.empty())
      return invalid("card_ocsp_failure = crl needs card_crl files");
    if (p.card_ocsp_failure != OcspFailure::kHard && p.card_ocsp == "off")
      return invalid("card_ocsp_failure is only meaningful with card_ocsp");
    if (!p.card_ocsp_cache.empty() && p.card_ocsp == "off")
      return invalid("card_ocsp_cache needs card_ocsp");
    if (!p.card_ocsp_cache.empty() &&
        (p.card_ocsp_cache.front() != '/' || p.card_ocsp_cache.find("/../") != std::string::npos))
      return invalid("card_ocsp_cache is an absolute directory path");
    for (const auto& e : p.card_eku) {
      std::string oid = EkuOid(e);
      bool dotted = !oid.empty() && oid.front() != '.' && oid.back() != '.' &&
                    oid.find("..") == std::string::npos &&
                    std::all_of(oid.begin(), oid.end(),
                                [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
      if (!dotted)
        return invalid("card_eku '" + e + "' is not smartcardLogon, clientAuth or an OID");
    }
  }
  if (fido) {
    if (p.fido_credentials.empty() || p.fido_credentials.front() != '/') {
      if (p.fido_credentials.rfind("%h/", 0) != 0)
        return invalid("fido_credentials is an absolute path (may start with %h/)");
    }
    for (size_t i = 0; i < p.fido_credentials.size(); ++i) {
      if (p.fido_credentials[i] != '%') continue;
      char next = i + 1 < p.fido_credentials.size() ? p.fido_credentials[i + 1] : '\0';
      if (next != 'u' && next != 'h' && next != '%')
        return invalid("fido_credentials knows %u, %h and %%");
      ++i;
    }
    if (!p.fido_store.empty()) {
      if (get("fido_credentials"))
        return invalid("fido_store and fido_credentials exclude each other");
      auto url = authenticator::ParseStoreUrl(p.fido_store);
      if (!url) return invalid("fido_store is sqlite:/ABSOLUTE/PATH or postgresql://...");
      if (url->backend == authenticator::StoreUrl::Backend::kSqlite && url->target.front() != '/')
        return invalid("fido_store: a SQLite store is named by an absolute path");
    }
    if (!p.fido_origin.empty() && p.fido_origin.rfind("pam://", 0) != 0)
      return invalid("fido_origin starts with pam://");
  }
  return p;
}

}  // namespace keyward::pam
