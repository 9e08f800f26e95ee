// `keyward card enroll`: issue a PIV card that logs in (one card, or `--batch users.csv`).
// See docs/enroll.md for the steps, resume rules and the --json fields.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "keyward/authenticator.h"
#include "keyward/enroll.h"
#include "tools/keyward/card_command.h"
#include "tools/keyward/cmd_card_enroll_input.h"
#include "tools/keyward/command.h"

namespace keyward::cli {
namespace {

namespace en = ::keyward::enroll;
namespace piv = ::keyward::pcsc::piv;

struct EnrollCli {
  en::EnrollOptions o;
  std::string slot = "9a";
  std::string algorithm = "eccp256";
  std::string mgmt_algorithm = "aes192";
  std::string current_mgmt_algorithm = "3des";
  bool allow_3des = false;
  bool keep_pin = false, keep_puk = false, keep_mgmt_key = false, no_login_check = false;
  enroll_input::SecretSources secrets;
  std::string batch;
  std::string report;
  std::string secrets_out;
  int card_timeout = 300;
  int removal_timeout = 300;
  std::string db;
  bool json = false;
};

Result<piv::Algorithm> KeyAlgorithm(const std::string& name) {
  if (name == "eccp256" || name == "p256") return piv::Algorithm::kEccP256;
  if (name == "eccp384" || name == "p384") return piv::Algorithm::kEccP384;
  if (name == "rsa2048") return piv::Algorithm::kRsa2048;
  return Fail(ErrorCode::kEnrollOptionsInvalid, "--algorithm: eccp256, eccp384 or rsa2048");
}

Result<piv::Algorithm> CurrentMgmtAlgorithm(const std::string& name) {
  if (name == "3des") return piv::Algorithm::kTripleDes;
  return en::ManagementKeyAlgorithm(name, true);
}

// Generated secrets, shown exactly once: in the text output or the JSON's "generated" member.
void PrintGeneratedText(const en::GeneratedSecrets& g, std::FILE* out) {
  if (!g.any()) return;
  std::fputs("Generated secrets (shown once; hand them over / store them now):\n", out);
  if (g.pin)
    std::fprintf(out, "  PIN             %s\n", std::string(g.pin->reveal_chars()).c_str());
  if (g.puk)
    std::fprintf(out, "  PUK             %s\n", std::string(g.puk->reveal_chars()).c_str());
  if (g.management_key) {
    std::fprintf(out, "  management key  %s (%s)\n", HexEncode(g.management_key->reveal()).c_str(),
                 g.management_key_algorithm.c_str());
  }
}

void PrintText(const en::EnrollReport& r) {
  std::printf("card %s in %s, user %s, slot %s (%s)\n", r.guid.c_str(), r.reader.c_str(),
              r.username.c_str(), r.slot.c_str(), r.algorithm.c_str());
  for (const auto& s : r.steps) {
    std::printf("  %-24s %s%s%s\n", s.step.c_str(), s.status.c_str(), s.detail.empty() ? "" : ": ",
                s.detail.c_str());
  }
  if (!r.changed.empty()) {
    std::printf("changed:\n");
    for (const auto& c : r.changed) std::printf("  - %s\n", c.c_str());
  }
  if (!r.certificate.empty()) {
    std::printf("certificate: %s, serial %s%s\n", r.certificate_subject.c_str(),
                r.certificate_serial.c_str(), r.certificate_compressed ? " (compressed)" : "");
  }
  if (r.awaiting_certificate) {
    std::printf("request written to %s: have it signed, then `keyward card import-cert`\n",
                r.csr_path.c_str());
  }
  if (r.login) {
    if (r.login->passed) {
      std::printf("login check: PASS (account %s, rule %s, %s, %s)\n", r.login->account.c_str(),
                  r.login->rule.c_str(), r.login->signature_algorithm.c_str(),
                  r.login->assurance.c_str());
    } else {
      std::printf("login check: FAIL (%s)\n", std::string(ErrorCodeName(r.login->code)).c_str());
    }
  }
  PrintGeneratedText(r.generated, stdout);
  if (r.error) {
    std::fprintf(stderr, "keyward card enroll: %s\n", r.error->ToString().c_str());
    if (!r.journal_path.empty()) {
      std::fprintf(stderr,
                   "  steps completed so far are in %s; run the same command again to "
                   "resume\n",
                   r.journal_path.c_str());
    }
  }
}

// --db: every run lands in keyward's audit log as the admin action "card.enroll" (subject: the
// principal when the store has one of that name, else the card's GUID; details without secrets),
// and a completed enrolment registers the certificate for the principal (created when missing)
// through Authenticator::EnrollCertificate, validated against --ca-cert.
Result<void> RecordInDb(const EnrollCli& c, const en::EnrollReport& r) {
  authenticator::AuthenticatorConfig cfg;
  cfg.store_url = c.db;  // a path, sqlite:PATH or postgresql://...
  cfg.rp_id = "localhost";
  cfg.policy = "workforce";
  if (!c.o.ca_cert_path.empty()) {
    KW_ASSIGN_OR_RETURN(std::string pem, ReadFileToString(c.o.ca_cert_path, 1 << 20));
    KW_ASSIGN_OR_RETURN(auto cas, Certificate::ParsePem(pem));
    for (const auto& ca : cas) cfg.smart_card_anchors.push_back(ToBytes(ca.der()));
  }
  KW_ASSIGN_OR_RETURN(auto auth, authenticator::Authenticator::Open(cfg));
  std::optional<authenticator::Principal> principal;
  if (auto p = auth->FindPrincipalByName(r.username)) {
    principal = std::move(*p);
  } else if (p.error().code != ErrorCode::kNotFound) {
    return Fail(p.error());
  }
  std::optional<Error> enroll_error;
  if (r.completed && !r.certificate.empty()) {
    if (!principal) {
      const std::string& name =
          c.o.user.display_name.empty() ? c.o.user.username : c.o.user.display_name;
      auto created = auth->CreatePrincipal(c.o.user.username, name);
      if (!created) return Fail(created.error());
      principal = std::move(*created);
    }
    authenticator::CertificateEnrollment e;
    e.certificate = r.certificate;
    e.nickname = "PIV " + r.slot + " " + r.guid.substr(0, 8);
    if (auto enrolled = auth->EnrollCertificate(principal->id, e); !enrolled) {
      enroll_error = enrolled.error();
    }
  }
  nlohmann::json details = {{"card_guid", r.guid},
                            {"slot", r.slot},
                            {"algorithm", r.algorithm},
                            {"changed", r.changed},
                            {"completed", r.completed}};
  if (!r.certificate_sha256.empty()) details["certificate_sha256"] = r.certificate_sha256;
  if (r.login) details["login_check"] = r.login->passed ? "PASS" : "FAIL";
  std::string subject = principal ? principal->id : (r.guid.empty() ? "unknown-card" : r.guid);
  std::string outcome = r.error ? std::string(ErrorCodeName(r.error->code)) : "ok";
  KW_TRY(auth->RecordAdminAction("card.enroll", subject, outcome, details.dump()));
  if (enroll_error) return Fail(*enroll_error);
  return Ok();
}

int RunSingle(EnrollCli& c) {
  en::EnrollReport r = en::Enroll(c.o);
  int rc = r.error ? card::ExitCodeFor(r.error->code) : kExitOk;
  if (!c.db.empty()) {
    if (auto db = RecordInDb(c, r); !db) {
      std::fprintf(stderr, "keyward card enroll: --db: %s\n", db.error().ToString().c_str());
      if (rc == kExitOk) rc = kExitRejected;
    }
  }
  if (c.json) {
    nlohmann::json j = en::ReportToJson(r);
    if (r.generated.any()) j["generated"] = en::GeneratedToJson(r.generated);
    card::PrintJson(j);
    if (r.error) std::fprintf(stderr, "keyward card enroll: %s\n", r.error->ToString().c_str());
  } else {
    PrintText(r);
  }
  return rc;
}

int RunBatch(EnrollCli& c) {
  auto users = en::LoadUsersCsv(c.batch);
  if (!users) return card::ReportError(users.error(), c.json, "enroll");
  en::BatchOptions b;
  b.users = std::move(*users);
  b.base = c.o;
  b.report_path = c.report;
  b.card_timeout = std::chrono::seconds(c.card_timeout);
  b.removal_timeout = std::chrono::seconds(c.removal_timeout);
  b.say = [](const std::string& s) { std::fprintf(stderr, "%s\n", s.c_str()); };
  b.progress = [](const en::BatchProgress& p) {
    std::fprintf(stderr, "[done %zu / left %zu / failed %zu of %zu]\n", p.done, p.left, p.failed,
                 p.total);
  };
  if (c.report.empty()) {
    b.report_line = [](const nlohmann::json& line) {
      std::printf("%s\n", line.dump().c_str());
      std::fflush(stdout);
    };
  }
  int secrets_fd = -1;
  if (!c.secrets_out.empty()) {
    secrets_fd = open(c.secrets_out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (secrets_fd < 0) {
      return card::ReportError(Error{ErrorCode::kIo, 0, "cannot open --secrets-out"}, c.json,
                               "enroll");
    }
  }
  b.generated = [&](const en::UserRecord& u, const en::EnrollReport& r) {
    nlohmann::json j = {{"username", u.username},
                        {"guid", r.guid},
                        {"generated", en::GeneratedToJson(r.generated)}};
    std::string line = j.dump() + "\n";
    if (secrets_fd >= 0) {
      if (write(secrets_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
          fsync(secrets_fd) != 0) {
        std::fprintf(stderr, "keyward card enroll: writing --secrets-out failed\n");
      }
    } else {
      std::fprintf(stderr, "%s: ", u.username.c_str());
      PrintGeneratedText(r.generated, stderr);
    }
    OPENSSL_cleanse(line.data(), line.size());
  };
  if (!c.db.empty()) {
    b.finished = [&c](const en::EnrollReport& r) {
      if (auto db = RecordInDb(c, r); !db) {
        std::fprintf(stderr, "keyward card enroll: --db: %s\n", db.error().ToString().c_str());
      }
    };
  }
  auto result = en::RunBatch(b);
  if (secrets_fd >= 0) close(secrets_fd);
  if (!result) return card::ReportError(result.error(), c.json, "enroll");
  std::fprintf(stderr, "batch finished: %zu enrolled (%zu earlier), %zu failed\n",
               result->progress.done, result->skipped, result->progress.failed);
  return result->progress.failed ? kExitRejected : kExitOk;
}

int Run(EnrollCli& c) {
  auto slot = piv::SlotFromName(c.slot);
  if (!slot || *slot == piv::Slot::kManagement) {
    return card::ReportError(Error{ErrorCode::kEnrollOptionsInvalid, 0, "--slot: 9a, 9c, 9d, 9e"},
                             c.json, "enroll");
  }
  c.o.slot = *slot;
  auto alg = KeyAlgorithm(c.algorithm);
  if (!alg) return card::ReportError(alg.error(), c.json, "enroll");
  c.o.algorithm = *alg;
  auto mgmt = en::ManagementKeyAlgorithm(c.mgmt_algorithm, c.allow_3des);
  if (!mgmt) return card::ReportError(mgmt.error(), c.json, "enroll");
  c.o.new_management_key_algorithm = *mgmt;
  auto cur = CurrentMgmtAlgorithm(c.current_mgmt_algorithm);
  if (!cur) return card::ReportError(cur.error(), c.json, "enroll");
  c.o.current_management_key_algorithm = *cur;
  c.o.change_pin = !c.keep_pin;
  c.o.change_puk = !c.keep_puk;
  c.o.change_management_key = !c.keep_mgmt_key;
  c.o.verify_login = !c.no_login_check;
  auto secrets = enroll_input::LoadSecrets(c.secrets);
  if (!secrets) return card::ReportError(secrets.error(), c.json, "enroll");
  c.o.secrets = std::move(*secrets);
  if (!c.batch.empty()) return RunBatch(c);
  if (c.o.user.username.empty()) {
    return card::ReportError(Error{ErrorCode::kEnrollOptionsInvalid, 0, "--user or --batch"},
                             c.json, "enroll");
  }
  return RunSingle(c);
}

card::CardSubcommand MakeCardEnroll(CLI::App& card_app) {
  auto c = std::make_shared<EnrollCli>();
  CLI::App* app = card_app.add_subcommand(
      "enroll", "Enrol a PIV card: key on card, certificate, PINs, login check (or --batch)");
  app->add_option("--reader", c->o.reader, "Reader (default: the only one with a card)");
  app->add_option("--user", c->o.user.username, "Username");
  app->add_option("--name", c->o.user.display_name, "Display name (certificate CN)");
  app->add_option("--upn", c->o.user.upn, "User principal name (SAN otherName)");
  app->add_option("--email", c->o.user.email, "E-mail (SAN rfc822Name)");
  app->add_option("--sid", c->o.user.sid, "Windows SID for strong mapping (S-1-5-21-...)");
  app->add_option("--subject-base", c->o.subject_base, "Subject above the CN, e.g. O=Corp,C=DE");
  app->add_option("--batch", c->batch, "Users CSV: username,display_name,upn,email,sid");
  app->add_option("--report", c->report, "Batch: append one JSON line per card (resume source)");
  app->add_option("--secrets-out", c->secrets_out,
                  "Batch: append generated secrets here (mode 0600) instead of the terminal");
  app->add_option("--card-timeout", c->card_timeout, "Batch: seconds to wait for a card");
  app->add_option("--removal-timeout", c->removal_timeout, "Batch: seconds to wait for removal");
  app->add_option("--slot", c->slot, "9a (default), 9c, 9d or 9e");
  app->add_option("--algorithm", c->algorithm, "eccp256 (default), eccp384 or rsa2048");
  app->add_flag("--force", c->o.force, "Overwrite an occupied slot / start the journal over");
  app->add_option("--ca-cert", c->o.ca_cert_path, "Issuing CA certificate (PEM)");
  app->add_option("--ca-key", c->o.ca_key_path, "Local CA private key (PEM, on disk: labs only)");
  app->add_option("--csr-out", c->o.csr_out_path, "Write the request (PEM) for an external CA");
  app->add_option("--days", c->o.validity_days, "Certificate validity in days (default 365)");
  app->add_option("--mgmt-key-algorithm", c->mgmt_algorithm, "New key: aes192 (default), aes256");
  app->add_flag("--allow-3des", c->allow_3des, "Permit a 3DES new management key");
  app->add_option("--current-mgmt-key-algorithm", c->current_mgmt_algorithm,
                  "Algorithm of the card's current management key (default 3des)");
  app->add_option("--secrets-fd", c->secrets.fd, "Read the secrets file from this descriptor");
  app->add_option("--secrets-file", c->secrets.file, "Read the secrets file (name=value lines)");
  app->add_flag("--prompt", c->secrets.prompt, "Ask for PINs on the terminal (no echo)");
  app->add_flag("--keep-pin", c->keep_pin, "Do not change the PIN");
  app->add_flag("--keep-puk", c->keep_puk, "Do not change the PUK");
  app->add_flag("--keep-mgmt-key", c->keep_mgmt_key, "Do not change the management key");
  app->add_option("--max-object-size", c->o.max_object_size,
                  "Card object limit in bytes (default 3052): larger certificates are compressed");
  app->add_option("--journal-dir", c->o.journal_dir, "Journal directory");
  app->add_flag("--no-login-check", c->no_login_check, "Skip the final certificate login");
  app->add_option("--module", c->o.pkcs11_module, "PKCS#11 module for the login check");
  app->add_option("--db", c->db,
                  "keyward database: audit-log the enrolment, register the certificate");
  app->add_flag("--json", c->json, "Machine-readable output");
  return {app, [c]() { return Run(*c); }};
}

}  // namespace

KEYWARD_REGISTER_CARD_SUBCOMMAND(50, MakeCardEnroll);

}  // namespace keyward::cli
