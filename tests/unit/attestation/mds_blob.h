// Builds FIDO MDS3 BLOBs (JWTs) signed by a test PKI, for metadata, policy and CLI tests.
#ifndef KEYWARD_TESTS_UNIT_ATTESTATION_MDS_BLOB_H_
#define KEYWARD_TESTS_UNIT_ATTESTATION_MDS_BLOB_H_

#include <string>

#include "core/base64url.h"
#include "core/json.h"
#include "tests/unit/attestation/test_pki.h"

namespace keyward::attestation::testing {

inline std::string MakeJwt(const Json& payload, EVP_PKEY* signer,
                           const std::vector<const Certificate*>& x5c, bool es256 = true) {
  Json header = {{"alg", es256 ? "ES256" : "RS256"}, {"typ", "JWT"}};
  Json chain = Json::array();
  for (const Certificate* c : x5c) chain.push_back(Base64Encode(c->der()));
  header["x5c"] = chain;
  std::string input =
      Base64UrlEncode(AsBytes(header.dump())) + "." + Base64UrlEncode(AsBytes(payload.dump()));
  Bytes sig = es256 ? SignP1363(signer, AsBytes(input)) : Sign(signer, AsBytes(input));
  return input + "." + Base64UrlEncode(sig);
}

inline Json MdsEntry(const std::string& aaguid, const std::string& description,
                     const std::vector<std::pair<std::string, std::string>>& reports,
                     const std::vector<const Certificate*>& roots = {}) {
  Json statuses = Json::array();
  for (const auto& [status, date] : reports) {
    statuses.push_back({{"status", status}, {"effectiveDate", date}, {"certificateNumber", "x"}});
  }
  Json root_list = Json::array();
  for (const Certificate* c : roots) root_list.push_back(Base64Encode(c->der()));
  return {{"aaguid", aaguid},
          {"metadataStatement",
           {{"description", description},
            {"aaguid", aaguid},
            {"attestationTypes", {"basic_full"}},
            {"attestationRootCertificates", root_list},
            {"futureField", {{"nested", true}}}}},
          {"statusReports", statuses},
          {"timeOfLastStatusChange", "2024-01-01"},
          {"someNewTopLevelField", 42}};
}

inline Json MdsPayload(int64_t no, Json entries) {
  return {{"legalHeader", "test"}, {"no", no}, {"nextUpdate", "2025-02-01"}, {"entries", entries}};
}

}  // namespace keyward::attestation::testing

#endif  // KEYWARD_TESTS_UNIT_ATTESTATION_MDS_BLOB_H_
