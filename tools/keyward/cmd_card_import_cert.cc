// `keyward card import-cert --slot 9a CERT.pem`: writes an externally issued certificate into its
// slot after checking that its key is the slot's key (enroll/import_cert.h).
#include <memory>

#include "keyward/enroll.h"
#include "tools/keyward/card_command.h"
#include "tools/keyward/cmd_card_enroll_input.h"
#include "tools/keyward/command.h"

namespace keyward::cli {
namespace {

namespace en = ::keyward::enroll;

struct ImportCli {
  en::ImportOptions o;
  std::string slot = "9a";
  std::string file;
  std::string current_mgmt_algorithm = "3des";
  enroll_input::SecretSources secrets;
  bool json = false;
};

int Run(ImportCli& c) {
  auto slot = pcsc::piv::SlotFromName(c.slot);
  if (!slot || *slot == pcsc::piv::Slot::kManagement) {
    return card::ReportError(Error{ErrorCode::kEnrollOptionsInvalid, 0, "--slot: 9a, 9c, 9d, 9e"},
                             c.json, "import-cert");
  }
  c.o.slot = *slot;
  if (c.current_mgmt_algorithm != "3des") {
    auto a = en::ManagementKeyAlgorithm(c.current_mgmt_algorithm, true);
    if (!a) return card::ReportError(a.error(), c.json, "import-cert");
    c.o.current_management_key_algorithm = *a;
  }
  auto text = ReadFileToString(c.file, 1 << 20);
  if (!text) return card::ReportError(text.error(), c.json, "import-cert");
  c.o.certificate = ToBytes(AsBytes(*text));
  auto secrets = enroll_input::LoadSecrets(c.secrets);
  if (!secrets) return card::ReportError(secrets.error(), c.json, "import-cert");
  c.o.secrets = std::move(*secrets);
  auto r = en::ImportCertificate(c.o);
  if (!r) return card::ReportError(r.error(), c.json, "import-cert");
  if (c.json) {
    card::PrintJson(en::ImportReportToJson(*r));
  } else {
    std::printf("wrote %s to slot %s%s (key checked by %s)\n", r->certificate_subject.c_str(),
                r->slot.c_str(), r->compressed ? " compressed" : "", r->key_check.c_str());
    if (r->journal_updated) {
      std::printf("journal updated: run `keyward card enroll` again to finish the card\n");
    }
  }
  return kExitOk;
}

card::CardSubcommand MakeCardImportCert(CLI::App& card_app) {
  auto c = std::make_shared<ImportCli>();
  CLI::App* app = card_app.add_subcommand(
      "import-cert", "Write an externally issued certificate after checking it matches the slot");
  app->add_option("certificate", c->file, "Certificate (PEM or DER)")->required();
  app->add_option("--slot", c->slot, "9a (default), 9c, 9d or 9e");
  app->add_option("--reader", c->o.reader, "Reader (default: the only one with a card)");
  app->add_option("--current-mgmt-key-algorithm", c->current_mgmt_algorithm,
                  "Algorithm of the card's management key (default 3des)");
  app->add_option("--secrets-fd", c->secrets.fd, "Secrets file on this descriptor");
  app->add_option("--secrets-file", c->secrets.file,
                  "Secrets file (current_pin, "
                  "current_management_key)");
  app->add_option("--max-object-size", c->o.max_object_size, "Card object limit in bytes");
  app->add_option("--journal-dir", c->o.journal_dir, "Journal directory");
  app->add_flag("--json", c->json, "Machine-readable output");
  return {app, [c]() { return Run(*c); }};
}

}  // namespace

KEYWARD_REGISTER_CARD_SUBCOMMAND(51, MakeCardImportCert);

}  // namespace keyward::cli
