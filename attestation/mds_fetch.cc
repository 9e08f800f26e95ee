#include "attestation/mds_fetch.h"

#include <curl/curl.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

#include "attestation/bundled_roots.h"
#include "attestation/jws.h"

namespace keyward::attestation {
namespace {

struct Sink {
  std::string body;
  size_t max_bytes = 0;
  bool too_large = false;
};

size_t Write(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t len = size * n;
  if (sink->body.size() + len > sink->max_bytes) {
    sink->too_large = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  sink->body.append(data, len);
  return len;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Unexpected FromCurl(CURLcode rc, const std::string& url, const char* errbuf) {
  std::string detail = "GET " + url + ": " + (errbuf[0] ? errbuf : curl_easy_strerror(rc));
  uint32_t native = static_cast<uint32_t>(rc);
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return Fail(ErrorCode::kMetadataFetchTimeout, detail, native);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
      return Fail(ErrorCode::kMetadataTlsFailed, detail, native);
    case CURLE_PARTIAL_FILE:
      return Fail(ErrorCode::kMetadataDownloadIncomplete, detail, native);
    case CURLE_FILESIZE_EXCEEDED:
      return Fail(ErrorCode::kMetadataDownloadTooLarge, detail, native);
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return Fail(ErrorCode::kMetadataUrlInvalid, detail, native);
    default:
      return Fail(ErrorCode::kMetadataFetchFailed, detail, native);
  }
}

}  // namespace

Result<std::string> HttpGet(const std::string& url, const HttpFetchOptions& options) {
  bool https = StartsWithNoCase(url, "https://");
  bool http = StartsWithNoCase(url, "http://");
  if (!https && !(http && options.allow_http)) {
    return Fail(ErrorCode::kMetadataUrlInvalid,
                "refusing to download from " + url +
                    (options.allow_http ? ": not an http(s) URL" : ": not an https URL"));
  }
  GlobalInit();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Fail(ErrorCode::kMetadataFetchFailed, "curl_easy_init failed");
  CURL* c = curl.get();
  char errbuf[CURL_ERROR_SIZE] = {0};
  Sink sink;
  sink.max_bytes = options.max_bytes;
  const char* protocols = options.allow_http ? "http,https" : "https";
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.tls_ca_file.empty()) {
    curl_easy_setopt(c, CURLOPT_CAINFO, options.tls_ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_CAPATH, nullptr);
  }
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout_ms));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout_ms));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_bytes));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "keyward-mds/1");
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // no implicit proxy from the environment
  CURLcode rc = curl_easy_perform(c);
  if (sink.too_large) {
    return Fail(ErrorCode::kMetadataDownloadTooLarge,
                "GET " + url + ": more than " + std::to_string(options.max_bytes) + " bytes");
  }
  if (rc != CURLE_OK) return FromCurl(rc, url, errbuf);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    return Fail(ErrorCode::kMetadataHttpError,
                "GET " + url + ": HTTP status " + std::to_string(status),
                static_cast<uint32_t>(status));
  }
  return std::move(sink.body);
}

std::vector<std::string> CrlDistributionPoints(const Certificate& cert) {
  std::vector<std::string> out;
  auto* points = static_cast<CRL_DIST_POINTS*>(
      X509_get_ext_d2i(cert.get(), NID_crl_distribution_points, nullptr, nullptr));
  if (points == nullptr) return out;
  for (int i = 0; i < sk_DIST_POINT_num(points); ++i) {
    DIST_POINT* dp = sk_DIST_POINT_value(points, i);
    if (dp->distpoint == nullptr || dp->distpoint->type != 0) continue;  // fullName only
    GENERAL_NAMES* names = dp->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, j);
      if (gn->type != GEN_URI) continue;
      const ASN1_IA5STRING* uri = gn->d.uniformResourceIdentifier;
      std::string s(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                    static_cast<size_t>(ASN1_STRING_length(uri)));
      if (StartsWithNoCase(s, "http://") || StartsWithNoCase(s, "https://")) {
        out.push_back(std::move(s));
      }
    }
  }
  CRL_DIST_POINTS_free(points);
  return out;
}

Result<MdsFetchResult> FetchMetadata(const MdsFetchOptions& options) {
  if (options.store_path.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "no metadata store path");
  }
  KW_ASSIGN_OR_RETURN(std::string jwt, HttpGet(options.url, options.http));
  MdsFetchResult result;
  result.bytes = jwt.size();
  std::string_view trimmed = jwt;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r')) {
    trimmed.remove_suffix(1);
  }
  // The signer chain names its CRLs; fetch them before verifying (bounded).
  KW_ASSIGN_OR_RETURN(
      Jws jws, ParseJwsCompact(trimmed, ErrorCode::kMetadataMalformed, JsonLimits{32, 64 << 20}));
  std::vector<X509CrlPtr> crls;
  HttpFetchOptions crl_http = options.http;
  crl_http.allow_http = true;
  crl_http.max_bytes = options.max_crl_bytes;
  for (const Certificate& cert : jws.x5c) {
    for (const std::string& url : CrlDistributionPoints(cert)) {
      if (std::find(result.crl_urls.begin(), result.crl_urls.end(), url) != result.crl_urls.end()) {
        continue;
      }
      if (result.crl_urls.size() >= options.max_crls) {
        return Fail(ErrorCode::kMetadataCrlUnavailable, "the BLOB's signer chain names more than " +
                                                            std::to_string(options.max_crls) +
                                                            " CRL distribution points");
      }
      auto body = HttpGet(url, crl_http);
      if (!body) {
        return Fail(ErrorCode::kMetadataCrlUnavailable,
                    "CRL " + url + ": " + body.error().ToString(), body.error().native);
      }
      auto crl = ParseCrl(AsBytes(*body));
      if (!crl) {
        return Fail(ErrorCode::kMetadataCrlUnavailable,
                    "CRL " + url + ": " + crl.error().ToString());
      }
      crls.push_back(std::move(*crl));
      result.crl_urls.push_back(url);
    }
  }
  MetadataVerifyOptions verify;
  verify.verify_time = options.verify_time;
  for (const auto& c : crls) verify.crls.push_back(c.get());
  std::vector<Certificate> roots = options.roots;
  if (roots.empty()) roots = BundledRootsFor("mds");
  if (roots.empty()) {
    return Fail(ErrorCode::kCertificateUntrusted, "no MDS root (the bundled roots are unusable)");
  }
  if (access(options.store_path.c_str(), F_OK) == 0) {
    KW_ASSIGN_OR_RETURN(MetadataBlob stored, MetadataBlob::LoadStored(options.store_path));
    if (stored.jwt() == trimmed) {
      KW_ASSIGN_OR_RETURN(MetadataBlob blob, MetadataBlob::Verify(trimmed, roots, verify));
      result.blob = std::make_shared<const MetadataBlob>(std::move(blob));
      result.unchanged = true;
      return result;
    }
  }
  KW_ASSIGN_OR_RETURN(MetadataBlob blob,
                      MetadataBlob::Import(trimmed, roots, verify, options.store_path));
  result.blob = std::make_shared<const MetadataBlob>(std::move(blob));
  return result;
}

}  // namespace keyward::attestation
