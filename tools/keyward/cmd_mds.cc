// keyward mds fetch|import|show: the FIDO Metadata Service v3 store (attestation/metadata.h,
// attestation/mds_fetch.h).
//
//   keyward mds fetch [URL] [--store PATH] [--root ROOT.pem] [--tls-ca CA.pem] [--timeout S]
//   keyward mds import BLOB.jwt [--root ROOT.pem] [--crl FILE]... [--store PATH] [--at ISO8601]
//   keyward mds show AAGUID [--store PATH]
// Both print JSON with --json (fields in docs/attestation.md), text otherwise.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "attestation/bundled_roots.h"
#include "attestation/mds_fetch.h"
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
    case ErrorCode::kMetadataFetchFailed:
    case ErrorCode::kMetadataFetchTimeout:
    case ErrorCode::kMetadataHttpError:
    case ErrorCode::kMetadataTlsFailed:
    case ErrorCode::kMetadataDownloadIncomplete:
    case ErrorCode::kMetadataCrlUnavailable:
      return kExitEnvironment;
    case ErrorCode::kMetadataUrlInvalid:
      return kExitUsage;
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
  auto* app = root.add_subcommand("mds", "FIDO Metadata Service v3: download, import, show");
  app->require_subcommand(1);
  struct Opts {
    std::string blob, root, store, at, aaguid, url = attestation::kDefaultMdsUrl, tls_ca;
    int64_t timeout_s = 60;
    std::vector<std::string> crls;
    bool json = false;
    bool insecure_accept_stale = false;
  };
  auto o = std::make_shared<Opts>();

  auto* import = app->add_subcommand("import", "verify a metadata BLOB and store it");
  import->add_option("blob", o->blob, "metadata BLOB (JWT) file")->required();
  import->add_option("--root", o->root,
                     "PEM/DER root certificate the BLOB must chain to (default: the bundled "
                     "GlobalSign Root CA - R3 the FIDO Alliance signs with)");
  import->add_option("--crl", o->crls, "CRL file(s) for the BLOB signer chain");
  import->add_option("--store", o->store,
                     "store file (default $KEYWARD_MDS_STORE or "
                     "~/.local/share/keyward/mds.jwt)");
  import->add_option("--at", o->at, "verification time, ISO-8601 (default now)");
  import->add_flag("--insecure-accept-stale", o->insecure_accept_stale,
                   "accept a BLOB whose nextUpdate date has passed (its revocations may be "
                   "out of date)");
  import->add_flag("--json", o->json, "print JSON");

  auto* fetch = app->add_subcommand(
      "fetch", "download the BLOB over HTTPS, verify it (chain, CRLs, no rollback) and store it");
  fetch->add_option("url", o->url, "BLOB URL, https only (default https://mds3.fidoalliance.org/)");
  fetch->add_option("--store", o->store, "store file");
  fetch->add_option("--root", o->root,
                    "PEM/DER root the BLOB must chain to (default: the bundled MDS root)");
  fetch->add_option("--tls-ca", o->tls_ca,
                    "PEM CA bundle to verify the HTTPS server with instead of the system's "
                    "(verification stays on)");
  fetch->add_option("--timeout", o->timeout_s, "total seconds per download (default 60)")
      ->check(CLI::Range(1, 3600));
  fetch->add_flag("--json", o->json, "print JSON");

  auto* show = app->add_subcommand("show", "print the stored metadata entry for an AAGUID");
  show->add_option("aaguid", o->aaguid, "AAGUID (8-4-4-4-12) or attestation key identifier (hex)")
      ->required();
  show->add_option("--store", o->store, "store file");
  show->add_flag("--json", o->json, "print JSON");

  return {app, [o, import, show, fetch]() -> int {
            std::string store = o->store.empty() ? DefaultStore() : o->store;
            if (fetch->parsed()) {
              attestation::MdsFetchOptions options;
              options.url = o->url;
              options.store_path = store;
              options.verify_time = UnixNow();
              options.http.tls_ca_file = o->tls_ca;
              options.http.total_timeout_ms = o->timeout_s * 1000;
              options.http.connect_timeout_ms = std::min<int64_t>(o->timeout_s, 10) * 1000;
              if (!o->root.empty()) {
                attestation::TrustStore roots;
                if (auto added = roots.AddFile(o->root); !added) {
                  return PrintError(o->json, "fetch", added.error(), kExitUsage);
                }
                options.roots = roots.AnchorsFor("", attestation::Aaguid{});
              }
              auto r = attestation::FetchMetadata(options);
              if (!r) return PrintError(o->json, "fetch", r.error(), ExitFor(r.error()));
              if (o->json) {
                Json j = {{"ok", true},
                          {"store", store},
                          {"url", o->url},
                          {"no", r->blob->serial()},
                          {"next_update", r->blob->next_update()},
                          {"unchanged", r->unchanged},
                          {"bytes", r->bytes},
                          {"crls", r->crl_urls},
                          {"entries", r->blob->size()},
                          {"skipped_entries", r->blob->skipped_entries()}};
                std::cout << j.dump(2) << "\n";
              } else {
                std::cout << (r->unchanged ? "unchanged: " : "stored ") << "metadata BLOB no "
                          << r->blob->serial() << " (" << r->blob->size()
                          << " entries, next update " << r->blob->next_update() << ", "
                          << r->crl_urls.size() << " CRLs checked) in " << store << "\n";
              }
              return kExitOk;
            }
            if (import->parsed()) {
              auto text = ReadFileToString(o->blob);
              if (!text) return PrintError(o->json, "import", text.error(), kExitUsage);
              attestation::TrustStore roots;
              if (!o->root.empty()) {
                if (auto added = roots.AddFile(o->root); !added) {
                  return PrintError(o->json, "import", added.error(), kExitUsage);
                }
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
              auto anchors = o->root.empty() ? attestation::BundledRootsFor("mds")
                                             : roots.AnchorsFor("", attestation::Aaguid{});
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
