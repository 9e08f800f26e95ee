// keyward card mgmt-key change: replaces the PIV management key (9B) with SET MANAGEMENT KEY
// (the YubiKey-compatible INS FF extension) after authenticating the current key, then proves the
// new key by authenticating with it. New key: from --new-key-fd (hex) or --generate (random);
// AES-192 by default, AES-128/AES-256 selectable, 3DES only when asked for by name. A generated
// key is shown exactly once: on stdout (text, or "generated_key" in the --json success object)
// or in --out FILE (created with mode 0600, never overwritten). It never reaches the audit log or
// an error message.
#include <fcntl.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "core/hash.h"
#include "tools/keyward/card_admin.h"

namespace keyward::cli::card {
namespace {

using pcsc::piv::Algorithm;
using pcsc::piv::ManagementKey;

struct MgmtOptions {
  AdminOptions admin;
  int current_fd = -1;
  std::string current_algorithm;  // empty: from GET METADATA, else 3des
  bool current_default = false;
  int new_fd = -1;
  bool generate = false;
  std::string algorithm = "aes192";
  std::string out;
};

Result<Algorithm> ParseAlg(const std::string& name) {
  if (name == "3des") return Algorithm::kTripleDes;
  if (name == "aes128") return Algorithm::kAes128;
  if (name == "aes192") return Algorithm::kAes192;
  if (name == "aes256") return Algorithm::kAes256;
  return Fail(ErrorCode::kInvalidArgument, "algorithm must be aes192, aes256, aes128 or 3des");
}

size_t KeyLen(Algorithm a) {
  switch (a) {
    case Algorithm::kAes128:
      return 16;
    case Algorithm::kAes256:
      return 32;
    default:
      return 24;
  }
}

Result<ManagementKey> ReadKey(int fd, const char* prompt, Algorithm alg) {
  KW_ASSIGN_OR_RETURN(SecretBytes hex, ReadCardSecret(fd, prompt));
  std::string text(reinterpret_cast<const char*>(hex.reveal().data()), hex.size());
  auto raw = HexDecode(text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!raw) return Fail(ErrorCode::kInvalidArgument, "management key must be hex");
  SecretBytes key(*raw);
  OPENSSL_cleanse(raw->data(), raw->size());
  return ManagementKey::Create(alg, std::move(key));
}

Result<void> WriteKeyFile(const std::string& path, const std::string& hex) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "cannot create " + path + " (it must not exist): " + std::strerror(errno));
  }
  std::string line = hex + "\n";
  bool ok = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  OPENSSL_cleanse(line.data(), line.size());
  ok = fsync(fd) == 0 && ok;
  ok = close(fd) == 0 && ok;
  if (!ok) {
    unlink(path.c_str());
    return Fail(ErrorCode::kIo, "cannot write " + path);
  }
  return Ok();
}

int Run(const MgmtOptions& o) {
  const std::string command = "mgmt-key change", action = "card.mgmt_key.change";
  auto alg = ParseAlg(o.algorithm);
  if (!alg) return ReportError(alg.error(), o.admin.json, command);
  if (o.generate == (o.new_fd >= 0)) {
    return ReportError(
        {ErrorCode::kInvalidArgument, 0, "give exactly one of --generate, --new-key-fd"},
        o.admin.json, command);
  }
  if (!o.out.empty() && !o.generate) {
    return ReportError({ErrorCode::kInvalidArgument, 0, "--out needs --generate"}, o.admin.json,
                       command);
  }
  auto client = OpenAdminCard(o.admin);
  if (!client) return ReportError(client.error(), o.admin.json, command);
  auto& c = **client;
  const std::string subject = CardSubject(c, c.card().reader());
  nlohmann::json details = {{"reader", c.card().reader()},
                            {"new_algorithm", std::string(pcsc::piv::AlgorithmName(*alg))},
                            {"generated", o.generate}};
  auto fail = [&](const Error& e) {
    return FinishAdmin(o.admin, command, action, subject, Fail(e), details, {}, "");
  };

  // The current key: the factory key (3DES, then AES-192), or read from --current-key-fd.
  Result<void> authed = Ok();
  if (o.current_default) {
    authed = c.AuthenticateManagementKey(ManagementKey::Default());
    if (!authed && authed.error().code == ErrorCode::kPivUnsupportedAlgorithm) {
      auto aes = ManagementKey::Create(Algorithm::kAes192,
                                       SecretBytes(ManagementKey::Default().key().reveal()));
      if (aes) authed = c.AuthenticateManagementKey(*aes);
    }
  } else {
    Algorithm cur = Algorithm::kTripleDes;
    if (!o.current_algorithm.empty()) {
      auto a = ParseAlg(o.current_algorithm);
      if (!a) return fail(a.error());
      cur = *a;
    } else if (auto m = c.GetMetadata(0x9B); m && m->algorithm) {
      cur = *m->algorithm;
    }
    auto current = ReadKey(o.current_fd, "Current management key (hex): ", cur);
    if (!current) return fail(current.error());
    authed = c.AuthenticateManagementKey(*current);
  }
  if (!authed) return fail(authed.error());

  Result<ManagementKey> fresh = Fail(ErrorCode::kInternal, "no key");
  std::string generated_hex;
  if (o.generate) {
    auto bytes = RandomBytes(KeyLen(*alg));
    if (!bytes) return fail(bytes.error());
    generated_hex = HexEncode(*bytes);
    fresh = ManagementKey::Create(*alg, SecretBytes(*bytes));
    OPENSSL_cleanse(bytes->data(), bytes->size());
  } else {
    fresh = ReadKey(o.new_fd, "New management key (hex): ", *alg);
  }
  struct Wipe {
    std::string& s;
    ~Wipe() { OPENSSL_cleanse(s.data(), s.size()); }
  } wipe{generated_hex};
  if (!fresh) return fail(fresh.error());
  // Save a generated key before the card changes, so it cannot be lost.
  if (!o.out.empty()) {
    auto w = WriteKeyFile(o.out, generated_hex);
    if (!w) return fail(w.error());
  }
  auto set = c.SetManagementKey(*fresh);
  if (set) set = c.AuthenticateManagementKey(*fresh);  // the card now answers to the new key
  if (!set) {
    if (!o.out.empty()) unlink(o.out.c_str());
    return fail(set.error());
  }
  nlohmann::json result = {{"ok", true},
                           {"action", action},
                           {"subject", subject},
                           {"algorithm", std::string(pcsc::piv::AlgorithmName(*alg))},
                           {"generated", o.generate}};
  std::string text = "management key changed (" + std::string(pcsc::piv::AlgorithmName(*alg)) + ")";
  if (o.generate) {
    if (o.out.empty()) {
      result["generated_key"] = generated_hex;
      text += "\nnew management key: " + generated_hex;
    } else {
      result["key_file"] = o.out;
      text += "; the new key is in " + o.out;
    }
  }
  int rc = FinishAdmin(o.admin, command, action, subject, Ok(), details, result, text);
  if (result.contains("generated_key")) {
    std::string& k = result["generated_key"].get_ref<std::string&>();
    OPENSSL_cleanse(k.data(), k.size());
  }
  OPENSSL_cleanse(text.data(), text.size());
  return rc;
}

CardSubcommand MakeCardMgmtKey(CLI::App& card_app) {
  CLI::App* mk = card_app.add_subcommand("mgmt-key", "Change the PIV management key (9B)");
  mk->require_subcommand(1);
  auto o = std::make_shared<MgmtOptions>();
  CLI::App* change = mk->add_subcommand("change", "Replace the management key");
  AddAdminOptions(change, o->admin);
  change->add_option("--current-key-fd", o->current_fd,
                     "read the current key (hex, one line) from this fd");
  change->add_option("--current-algorithm", o->current_algorithm,
                     "algorithm of the current key (default: from the card's metadata, else 3des)");
  change->add_flag("--current-default", o->current_default,
                   "the current key is the factory default (3DES or AES-192 0102..08)");
  change->add_option("--new-key-fd", o->new_fd, "read the new key (hex, one line) from this fd");
  change->add_flag("--generate", o->generate, "generate a random new key (shown once)");
  change->add_option("--algorithm", o->algorithm,
                     "new key algorithm: aes192 (default), aes256, aes128, 3des");
  change->add_option("--out", o->out, "write a generated key to this new file (mode 0600)");
  return {mk, [o, change]() { return change->parsed() ? Run(*o) : kExitUsage; }};
}

}  // namespace

KEYWARD_REGISTER_CARD_SUBCOMMAND(52, MakeCardMgmtKey);

}  // namespace keyward::cli::card
