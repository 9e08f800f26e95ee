// OCSP (RFC 6960) for certificate login: a request for one certificate with a fresh nonce
// (RFC 8954: 32 bytes), sent as an HTTP/1.0 POST (RFC 6960 appendix A.1) over plain HTTP with a
// bounded overall timeout; the response must be successful, signed by the issuing CA or a
// responder it delegated (id-kp-OCSPSigning), echo the nonce, and be fresh at the caller's time.
//
// Invariants: a CheckOcsp result of kGood/kRevoked/kUnknown comes only from a response whose
// signature, nonce and freshness were all checked, in that order. Errors:
//  - kOcspUnavailable: no URL, connect failure, timeout, HTTP error, or the responder's
//    tryLater / internalError status (a soft-fail policy may accept these, see certificate_login).
//  - kOcspResponseInvalid: unparsable bytes, other unsuccessful statuses, bad signature, signer
//    that is neither the issuer nor a responder it delegated (id-kp-OCSPSigning), no answer for
//    our certificate id, nextUpdate before thisUpdate.
//  - kOcspNonceMismatch: a signed response whose nonce is not ours (a replay).
//  - kOcspNonceMissing: no nonce in the response while `require_nonce`.
//  - kOcspStale: thisUpdate in the future or nextUpdate past (beyond clock_skew_seconds), or,
//    without nextUpdate, thisUpdate older than max_age_seconds.
#ifndef KEYWARD_PKCS11_OCSP_CLIENT_H_
#define KEYWARD_PKCS11_OCSP_CLIENT_H_

#include <span>
#include <string>

#include "core/x509.h"

namespace keyward::pkcs11 {

struct OcspOptions {
  std::string url;  // empty: the certificate's AIA OCSP URL
  int timeout_seconds = 5;
  int64_t max_age_seconds = 3600;  // for responses without nextUpdate
  int64_t clock_skew_seconds = 300;
  bool require_nonce = true;
  // Good answers are kept here and used while the responder is unavailable (ocsp_cache.h);
  // empty: no cache.
  std::string cache_dir;
};

struct OcspAnswer {
  enum class Status { kGood, kRevoked, kUnknown };
  Status status = Status::kUnknown;
  std::string url;
  int64_t this_update = 0;
  int64_t next_update = 0;  // 0 when absent
  int64_t revocation_time = 0;
  bool from_cache = false;  // the responder was unavailable; a cached good answer decided
};

// `trusted` are the configured CA certificates (the responder must chain to one). With
// options.cache_dir: a live good answer is cached; when the responder is unavailable
// (kOcspUnavailable) a cached good answer within its validity answers instead (from_cache).
Result<OcspAnswer> CheckOcsp(const Certificate& leaf, const Certificate& issuer,
                             std::span<const Certificate> trusted, const OcspOptions& options,
                             int64_t now);

// Everything CheckOcsp does after the HTTP exchange, on the response body `der` (untrusted
// bytes; the fuzz target tests/fuzz/ocsp_response.cc drives this): a request for `leaf` carrying
// `expected_nonce` is what the response must answer. `url` of the answer is left empty.
Result<OcspAnswer> VerifyOcspResponse(std::span<const uint8_t> der, const Certificate& leaf,
                                      const Certificate& issuer,
                                      std::span<const Certificate> trusted,
                                      std::span<const uint8_t> expected_nonce,
                                      const OcspOptions& options, int64_t now);

}  // namespace keyward::pkcs11

#endif  // KEYWARD_PKCS11_OCSP_CLIENT_H_
