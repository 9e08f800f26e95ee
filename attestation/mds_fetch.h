// Downloading the FIDO Metadata Service v3 BLOB (FIDO MDS3 §3.1.7 "Metadata BLOB object
// processing rules") over HTTPS with libcurl, verifying it, and storing it (metadata.h).
//
// Transport (HttpGet): https only for the BLOB (a plain http:// or other scheme is
// kMetadataUrlInvalid; redirects are followed at most 3 times and only to https); TLS peer and
// host verification always on — against the system CA store, or against `tls_ca_file` when set
// (an operator's proxy CA, or a test CA; still verified). Bounded: connect timeout, total
// timeout (kMetadataFetchTimeout), a size cap checked on Content-Length and while receiving
// (kMetadataDownloadTooLarge). A non-200 answer is kMetadataHttpError (native = the HTTP status);
// a body cut short of its Content-Length is kMetadataDownloadIncomplete; TLS failures are
// kMetadataTlsFailed; anything else kMetadataFetchFailed.
//
// CRLs (FIDO MDS3 §3.1.7 step 4 "verify ... certificate chain ... CRLs"): the CRL distribution
// points (http/https URIs) named by every certificate of the BLOB's x5c chain are fetched (at
// most 8, each capped at 4 MiB, same timeouts; http is allowed for CRLs: they are signed) and
// handed to MetadataBlob::Verify, which checks each against its issuer and the verification time.
// A distribution point that cannot be fetched or parsed fails the download with
// kMetadataCrlUnavailable: an unverifiable revocation status is not skipped.
//
// Storing: MetadataBlob::Import — refuses a BLOB whose `no` is not newer than the stored copy
// (kMetadataRollback), a stale one (kMetadataStale), writes atomically. A download byte-identical
// to the stored copy is re-verified (fresh CRLs, time) and reported `unchanged` without rewriting.
#ifndef KEYWARD_ATTESTATION_MDS_FETCH_H_
#define KEYWARD_ATTESTATION_MDS_FETCH_H_

#include <memory>
#include <string>
#include <vector>

#include "attestation/metadata.h"

namespace keyward::attestation {

inline constexpr char kDefaultMdsUrl[] = "https://mds3.fidoalliance.org/";

struct HttpFetchOptions {
  int64_t connect_timeout_ms = 10'000;
  int64_t total_timeout_ms = 60'000;
  size_t max_bytes = 32 << 20;  // the real BLOB is ~ 6 MB (2026)
  // PEM bundle to verify the server against instead of the system store (still verified).
  std::string tls_ca_file;
  bool allow_http = false;  // CRL distribution points only
};

// GET `url`; the body on HTTP 200. Errors as described above.
Result<std::string> HttpGet(const std::string& url, const HttpFetchOptions& options);

struct MdsFetchOptions {
  std::string url = kDefaultMdsUrl;
  std::string store_path;          // required
  std::vector<Certificate> roots;  // empty: the bundled MDS roots (bundled_roots.h, "mds")
  int64_t verify_time = 0;         // required
  HttpFetchOptions http;
  size_t max_crls = 8;
  size_t max_crl_bytes = 4 << 20;
};

struct MdsFetchResult {
  std::shared_ptr<const MetadataBlob> blob;
  bool unchanged = false;             // same bytes as the stored copy (not rewritten)
  size_t bytes = 0;                   // size of the download
  std::vector<std::string> crl_urls;  // distribution points fetched
};

Result<MdsFetchResult> FetchMetadata(const MdsFetchOptions& options);

// http/https URIs of the certificate's CRL distribution points (fullName URIs only).
std::vector<std::string> CrlDistributionPoints(const Certificate& cert);

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_MDS_FETCH_H_
