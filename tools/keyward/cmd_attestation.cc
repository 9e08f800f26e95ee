// keyward attestation roots: what attestation trust is evaluated against — the bundled vendor
// roots (attestation/bundled_roots.h) and an operator trust directory — with validity and a flag
// for roots that expire within 90 days.
//
//   keyward attestation roots [--trust-dir DIR] [--no-bundled-roots] [--at ISO8601] [--json]
#include <iostream>
#include <memory>

#include "attestation/bundled_roots.h"
#include "attestation/trust_store.h"
#include "core/json.h"
#include "core/x509.h"
#include "keyward/webauthn.h"
#include "tools/keyward/command.h"

namespace keyward::cli {
namespace {

constexpr int64_t kExpiringWindow = 90 * 86400;

std::string Iso(std::optional<int64_t> t) {
  if (!t) return "";
  char buf[32];
  std::time_t tt = static_cast<std::time_t>(*t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "valid" | "expiring" (within 90 days) | "expired" | "not_yet_valid"
std::string Status(const Certificate& c, int64_t at) {
  auto nb = c.NotBefore();
  auto na = c.NotAfter();
  if (nb && at < *nb) return "not_yet_valid";
  if (na && at > *na) return "expired";
  if (na && *na - at <= kExpiringWindow) return "expiring";
  return "valid";
}

Json RootJson(const Certificate& c, std::string_view purpose, std::string_view source,
              std::string_view name, std::string_view file, int64_t at) {
  auto na = c.NotAfter();
  Json j = {{"purpose", purpose},
            {"source", source},
            {"name", name},
            {"subject", c.Subject()},
            {"sha256", HexEncode(c.Fingerprint())},
            {"not_before", Iso(c.NotBefore())},
            {"not_after", Iso(na)},
            {"days_left", na ? (*na - at) / 86400 : 0},
            {"status", Status(c, at)}};
  if (!file.empty()) j["file"] = file;
  return j;
}

Command MakeAttestation(CLI::App& root) {
  auto* app = root.add_subcommand("attestation", "Attestation trust: bundled and operator roots");
  app->require_subcommand(1);
  struct Opts {
    std::string trust_dir, at;
    bool no_bundled = false;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* roots = app->add_subcommand("roots", "list the roots attestation is trusted against");
  roots->add_option("--trust-dir", o->trust_dir,
                    "operator trust directory (DIR/*, DIR/formats/<fmt>/*, DIR/aaguids/<id>/*)");
  roots->add_flag("--no-bundled-roots", o->no_bundled,
                  "leave out the bundled vendor roots (as a store with them turned off)");
  roots->add_option("--at", o->at, "evaluate validity at this ISO-8601 instant (default now)");
  roots->add_flag("--json", o->json, "print JSON");
  roots->footer(
      R"(--json: {ok, at, bundled_roots, roots: [{purpose, source: bundled|trust-dir, name,
  file, subject, sha256, not_before, not_after, days_left, status}]}
purpose: apple | android-key | android-safetynet | mds | <fmt> | * (every statement) |
  aaguid:<id>. status: valid | expiring (expires within 90 days) | expired | not_yet_valid.
Exit: 0 listed, 2 bad input (unreadable directory, bad --at), 3 the bundled roots are unusable.)");

  return {app, [o]() -> int {
            auto fail = [&](const Error& e, int code) {
              if (o->json) {
                std::cout << Json{{"ok", false},
                                  {"error",
                                   {{"code", std::string(ErrorCodeName(e.code))},
                                    {"message", e.ToString()}}}}
                                 .dump(2)
                          << "\n";
              } else {
                std::cerr << "keyward attestation roots: " << e.ToString() << "\n";
              }
              return code;
            };
            int64_t at = UnixNow();
            if (!o->at.empty()) {
              auto t = webauthn::ParseIso8601(o->at);
              if (!t) return fail(t.error(), kExitUsage);
              at = *t;
            }
            Json list = Json::array();
            if (!o->no_bundled) {
              auto bundled = attestation::BundledRoots();
              if (!bundled) return fail(bundled.error(), kExitEnvironment);
              for (const auto& r : *bundled) {
                list.push_back(RootJson(r.certificate, r.purpose, "bundled", r.name, r.file, at));
              }
            }
            if (!o->trust_dir.empty()) {
              attestation::TrustStore store;
              if (auto added = store.AddDirectory(o->trust_dir); !added) {
                return fail(added.error(), kExitUsage);
              }
              for (const auto& a : store.OperatorAnchors()) {
                list.push_back(RootJson(a.certificate, a.scope, "trust-dir", "", "", at));
              }
            }
            if (o->json) {
              std::cout << Json{{"ok", true},
                                {"at", Iso(at)},
                                {"bundled_roots", !o->no_bundled},
                                {"roots", list}}
                               .dump(2)
                        << "\n";
              return kExitOk;
            }
            std::printf("%-18s %-10s %-21s %-14s %s\n", "PURPOSE", "SOURCE", "NOT AFTER", "STATUS",
                        "SUBJECT");
            for (const auto& j : list) {
              std::string status = j["status"];
              if (status == "expiring") {
                status += " (" + std::to_string(j["days_left"].get<int64_t>()) + "d)";
              }
              std::printf("%-18s %-10s %-21s %-14s %s\n", j["purpose"].get<std::string>().c_str(),
                          j["source"].get<std::string>().c_str(),
                          j["not_after"].get<std::string>().c_str(), status.c_str(),
                          j["subject"].get<std::string>().c_str());
            }
            return kExitOk;
          }};
}

KEYWARD_REGISTER_COMMAND(45, MakeAttestation);

}  // namespace
}  // namespace keyward::cli
