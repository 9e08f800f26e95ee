#include "attestation/authenticator_names.h"

#include <map>
#include <string_view>

#include "core/json.h"

namespace keyward::attestation {
namespace {

// Plain pointers: a constexpr string_view over a large literal exceeds the compiler's constexpr
// step limit; the lengths are taken at run time.
struct EmbeddedFile {
  const char* file;
  const char* text;
};

const EmbeddedFile kEmbedded[] = {
#include "authenticator_names_json.inc"
};

using Community = std::map<Aaguid, AuthenticatorName>;

Community LoadCommunity() {
  Community out;
  for (const EmbeddedFile& f : kEmbedded) {
    if (std::string_view(f.file) != "aaguids/passkey-authenticator-aaguids.json") continue;
    auto json = ParseJson(f.text, JsonLimits{8, 4 << 20});
    if (!json || !json->is_object()) return out;
    for (const auto& [key, value] : json->items()) {
      auto aaguid = ParseAaguid(key);
      if (!aaguid || !value.is_object()) continue;
      auto name = value.find("name");
      if (name == value.end() || !name->is_string()) continue;
      AuthenticatorName n;
      n.name = name->get<std::string>();
      n.source = "community";
      if (auto it = value.find("icon_light"); it != value.end() && it->is_string()) {
        n.icon_light = it->get<std::string>();
      }
      if (auto it = value.find("icon_dark"); it != value.end() && it->is_string()) {
        n.icon_dark = it->get<std::string>();
      }
      out.emplace(*aaguid, std::move(n));
    }
  }
  return out;
}

const Community& CommunityList() {
  static const Community list = LoadCommunity();
  return list;
}

}  // namespace

std::optional<AuthenticatorName> LookupAuthenticatorName(const Aaguid& aaguid,
                                                         const MetadataBlob* metadata) {
  static constexpr Aaguid kZero{};
  if (aaguid == kZero) return std::nullopt;
  if (metadata) {
    if (const MetadataEntry* e = metadata->FindByAaguid(aaguid); e && !e->description.empty()) {
      AuthenticatorName n;
      n.name = e->description;
      n.source = "mds";
      auto ms = e->raw.find("metadataStatement");
      if (ms != e->raw.end() && ms->is_object()) {
        if (auto icon = ms->find("icon"); icon != ms->end() && icon->is_string()) {
          n.icon_light = icon->get<std::string>();
        }
      }
      return n;
    }
  }
  const Community& list = CommunityList();
  if (auto it = list.find(aaguid); it != list.end()) return it->second;
  return std::nullopt;
}

size_t CommunityAaguidCount() { return CommunityList().size(); }

}  // namespace keyward::attestation
