// keyward mds import|show: the offline FIDO Metadata Service v3 store (attestation/metadata.h).
//
//   keyward mds import BLOB.jwt --root ROOT.pem [--crl FILE]... [--store PATH] [--at ISO8601]
//   keyward mds show AAGUID [--store PATH]
// Both print JSON with --json (fields in docs/attestation.md), text otherwise.
#include <cstdlib>
#include <iostream>
#include <memory>

#include "attestation/metadata.h"
#include "attestation/trust_store.h"
#include "core/x509.h"
#include "keyward/webauthn.h"
#include "tools/keyward/command.h"

namespace keyward::cli {
namespace {

using attestation::MetadataBlob;
using attestation::MetadataEntry;

std::string DefaultStore() {
  if (const char* p = std::getenv("KEYWARD_MDS_STORE"); p && *p) return p;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) {
    return std::string(x) + "/keyward/mds.jwt";
  }
  if (const char* h = std::getenv("HOME"); h && *h) {
    return std::string(h) + "/.local/share/keyward/mds.jwt";
  }
  return "mds.jwt";
}

int PrintError(bool json, const char* what, const Error& e, int exit_code) {
  if (json) {
    Json j = {{"ok", false},
              {"error", {{"code", std::string(ErrorCodeName(e.code))}, {"message", e.ToString()}}}};
    std::cout << j.dump(2) << "\n";
  } else {
    std::cerr << "keyward mds " << what << ": " << e.ToString() << "\n";
  }
  return exit_code;
}

// Rejections of the BLOB itself are "the operation said no" (1); unreadable inputs are usage (2).
int ExitFor(const Error& e) {
  switch (e.code) {
    case ErrorCode::kIo:
    case ErrorCode::kPemMalformed:
    case ErrorCode::kCrlInvalid:
    case ErrorCode::kInvalidArgument:
      return kExitUsage;
    case ErrorCode::kStoreIo:
    case ErrorCode::kStoreCorrupt:
      return kExitEnvironment;
    default:
      return kExitRejected;
  }
}

Json EntryJson(const MetadataEntry& e) {
  attestation::MetadataSummary s = attestation::Summarize(e);
  Json roots = Json::array();
  for (const auto& r : e.roots) {
    roots.push_back({{"subject", r.Subject()}, {"sha256", HexEncode(r.Fingerprint())}});
  }
  Json reports = Json::array();
  for (const auto& r : e.status_reports) {
    reports.push_back({{"status", r.status}, {"effective_date", r.effective_date}});
  }
  Json j = {{"description", s.description},
            {"aaguid", s.aaguid},
            {"key_identifiers", e.key_identifiers},
            {"status", s.status},
            {"status_date", s.status_date},
            {"certification_level", std::string(CertificationLevelName(s.certification_level))},
            {"compromised", s.compromised},
            {"attestation_types", s.attestation_types},
            {"attestation_roots", roots},
            {"status_reports", reports},
            {"time_of_last_status_change", e.time_of_last_status_change},
            {"entry", e.raw}};
  return j;
}

Command MakeMds(CLI::App& root) {
  auto* app = root.add_subcommand("mds", "FIDO Metadata Service v3: offline BLOB store");
  app->require_subcommand(1);
  struct Opts {
    std::string blob, root, store, at, aaguid;
    std::vector<std::string> crls;
    bool json = false;
    bool insecure_accept_stale = false;
  };
  auto o = std::make_shared<Opts>();

  auto* import = app->add_subcommand("import", "verify a metadata BLOB and store it");
  import->add_option("blob", o->blob, "metadata BLOB (JWT) file")->required();
  import->add_option("--root", o->root, "PEM/DER root certificate the BLOB must chain to")
      ->required();
  import->add_option("--crl", o->crls, "CRL file(s) for the BLOB signer chain");
  import->add_option("--store", o->store,
                     "store file (default $KEYWARD_MDS_STORE or "
                     "~/.local/share/keyward/mds.jwt)");
  import->add_option("--at", o->at, "verification time, ISO-8601 (default now)");
  import->add_flag("--insecure-accept-stale", o->insecure_accept_stale,
                   "accept a BLOB whose nextUpdate date has passed (its revocations may be "
                   "out of date)");
  import->add_flag("--json", o->json, "print JSON");

  auto* show = app->add_subcommand("show", "print the stored metadata entry for an AAGUID");
  show->add_option("aaguid", o->aaguid, "AAGUID (8-4-4-4-12) or attestation key identifier (hex)")
      ->required();
  show->add_option("--store", o->store, "store file");
  show->add_flag("--json", o->json, "print JSON");

  return {app, [o, import, show]() -> int {
            std::string store = o->store.empty() ? DefaultStore() : o->store;
            if (import->parsed()) {
              auto text = ReadFileToString(o->blob);
              if (!text) return PrintError(o->json, "import", text.error(), kExitUsage);
              attestation::TrustStore roots;
              if (auto added = roots.AddFile(o->root); !added) {
                return PrintError(o->json, "import", added.error(), kExitUsage);
              }
              std::vector<X509CrlPtr> crls;
              attestation::MetadataVerifyOptions options;
              options.verify_time = UnixNow();
              options.insecure_accept_stale = o->insecure_accept_stale;
              if (!o->at.empty()) {
                auto t = webauthn::ParseIso8601(o->at);
                if (!t) return PrintError(o->json, "import", t.error(), kExitUsage);
                options.verify_time = *t;
              }
              for (const auto& path : o->crls) {
                auto data = ReadFileToString(path);
                if (!data) return PrintError(o->json, "import", data.error(), kExitUsage);
                auto crl = ParseCrl(AsBytes(*data));
                if (!crl) return PrintError(o->json, "import", crl.error(), kExitUsage);
                options.crls.push_back(crl->get());
                crls.push_back(std::move(*crl));
              }
              auto anchors = roots.AnchorsFor("", attestation::Aaguid{});
              auto blob = MetadataBlob::Import(*text, anchors, options, store);
              if (!blob) return PrintError(o->json, "import", blob.error(), ExitFor(blob.error()));
              if (o->json) {
                Json j = {{"ok", true},
                          {"store", store},
                          {"no", blob->serial()},
                          {"next_update", blob->next_update()},
                          {"stale", blob->IsStaleAt(options.verify_time)},
                          {"entries", blob->size()},
                          {"skipped_entries", blob->skipped_entries()}};
                std::cout << j.dump(2) << "\n";
              } else {
                std::cout << "imported metadata BLOB no " << blob->serial() << " (" << blob->size()
                          << " entries, " << blob->skipped_entries() << " skipped, next update "
                          << blob->next_update() << ") into " << store << "\n";
              }
              return kExitOk;
            }
            if (show->parsed()) {
              auto blob = MetadataBlob::LoadStored(store);
              if (!blob) {
                return PrintError(
                    o->json, "show", blob.error(),
                    blob.error().code == ErrorCode::kIo ? kExitEnvironment : ExitFor(blob.error()));
              }
              const MetadataEntry* e = nullptr;
              if (auto aaguid = attestation::ParseAaguid(o->aaguid)) {
                e = blob->FindByAaguid(*aaguid);
              } else {
                e = blob->FindByKeyIdentifier(o->aaguid);
              }
              if (!e) {
                return PrintError(o->json, "show",
                                  Error{ErrorCode::kMetadataEntryNotFound, 0,
                                        "no entry for " + o->aaguid + " in BLOB no " +
                                            std::to_string(blob->serial())},
                                  kExitRejected);
              }
              Json j = EntryJson(*e);
              if (o->json) {
                j["ok"] = true;
                j["no"] = blob->serial();
                std::cout << j.dump(2) << "\n";
              } else {
                std::cout << j["description"].get<std::string>() << "\n"
                          << "  aaguid:        " << j["aaguid"].get<std::string>() << "\n"
                          << "  status:        " << j["status"].get<std::string>() << " ("
                          << j["status_date"].get<std::string>() << ")\n"
                          << "  certification: " << j["certification_level"].get<std::string>()
                          << "\n"
                          << "  compromised:   " << (e->compromised() ? "yes" : "no") << "\n"
                          << "  roots:         " << e->roots.size() << "\n";
              }
              return kExitOk;
            }
            return kExitUsage;
          }};
}

KEYWARD_REGISTER_COMMAND(40, MakeMds);

}  // namespace
}  // namespace keyward::cli
