#include "pkcs11/ocsp_client.h"

#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/ocsp.h>

#include <memory>

#include "core/hash.h"
#include "pkcs11/ocsp_cache.h"

namespace keyward::pkcs11 {
namespace {

template <typename T, void (*F)(T*)>
using Owned = std::unique_ptr<T, OsslDeleter<T, F>>;
using OcspRequestPtr = Owned<OCSP_REQUEST, OCSP_REQUEST_free>;
using OcspResponsePtr = Owned<OCSP_RESPONSE, OCSP_RESPONSE_free>;
using OcspBasicPtr = Owned<OCSP_BASICRESP, OCSP_BASICRESP_free>;
using OcspCertIdPtr = Owned<OCSP_CERTID, OCSP_CERTID_free>;
using BioPtr = Owned<BIO, BIO_free_all>;

void FreeString(char* s) { OPENSSL_free(s); }
using OsslString = Owned<char, FreeString>;

// The newest queued OpenSSL error (the cause; older entries may be unrelated noise such as an
// engine that failed to load), queue cleared.
std::string LastOpensslError(const char* what) {
  unsigned long code = 0, last = 0;  // NOLINT(runtime/int)
  while ((code = ERR_get_error()) != 0) last = code;
  if (last == 0) return what;
  char buf[256];
  ERR_error_string_n(last, buf, sizeof(buf));
  return std::string(what) + " (" + buf + ")";
}

int64_t ToUnix(const ASN1_GENERALIZEDTIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

Result<std::string> ResponderUrl(const Certificate& leaf, const OcspOptions& options) {
  if (!options.url.empty()) return options.url;
  STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(leaf.get());
  std::string url;
  if (urls && sk_OPENSSL_STRING_num(urls) > 0) url = sk_OPENSSL_STRING_value(urls, 0);
  X509_email_free(urls);
  if (url.empty()) return Fail(ErrorCode::kOcspUnavailable, "no OCSP URL configured or in AIA");
  return url;
}

Result<Bytes> Exchange(const std::string& url, OCSP_REQUEST* req, int timeout) {
  char *host_raw = nullptr, *port_raw = nullptr, *path_raw = nullptr;
  int ssl = 0;
  if (OSSL_HTTP_parse_url(url.c_str(), &ssl, nullptr, &host_raw, &port_raw, nullptr, &path_raw,
                          nullptr, nullptr) != 1) {
    ERR_clear_error();
    return Fail(ErrorCode::kOcspUnavailable, "malformed OCSP URL");
  }
  OsslString host(host_raw), port(port_raw), path(path_raw);
  if (ssl) return Fail(ErrorCode::kNotSupported, "https OCSP responders are not supported");
  BioPtr req_bio(BIO_new(BIO_s_mem()));
  if (!req_bio || i2d_OCSP_REQUEST_bio(req_bio.get(), req) != 1) {
    return Fail(ErrorCode::kInternal, TakeOpensslError("OCSP request encoding"));
  }
  ERR_clear_error();
  // proxy "" disables http_proxy from the environment: the responder is reached directly.
  // expect_asn1 = 0: OpenSSL would otherwise fail on a body that is not DER as if the transfer
  // had failed (ocsp_unavailable, which soft-fail forgives); the body is read whole (at most
  // 64 KiB) and bytes that are not an OCSPResponse are ocsp_response_invalid below.
  BIO* rsp_raw =
      OSSL_HTTP_transfer(nullptr, host.get(), port.get(), path.get(), 0, "", nullptr, nullptr,
                         nullptr, nullptr, nullptr, 0, nullptr, "application/ocsp-request",
                         req_bio.get(), "application/ocsp-response", 0, 64 * 1024, timeout, 0);
  if (!rsp_raw) return Fail(ErrorCode::kOcspUnavailable, LastOpensslError("OCSP HTTP exchange"));
  BioPtr rsp_bio(rsp_raw);
  Bytes body;
  uint8_t buf[4096];
  int n = 0;
  while ((n = BIO_read(rsp_bio.get(), buf, sizeof(buf))) > 0) {
    body.insert(body.end(), buf, buf + n);
    if (body.size() > 64 * 1024) return Fail(ErrorCode::kOcspResponseInvalid, "response too long");
  }
  ERR_clear_error();
  return body;
}

struct Request {
  OcspCertIdPtr id;
  OcspRequestPtr req;
};

// The request for `leaf` with `nonce` (RFC 8954 nonce extension).
Result<Request> BuildRequest(const Certificate& leaf, const Certificate& issuer,
                             std::span<const uint8_t> nonce) {
  Request r{OcspCertIdPtr(OCSP_cert_to_id(nullptr, leaf.get(), issuer.get())),
            OcspRequestPtr(OCSP_REQUEST_new())};
  if (!r.id || !r.req) return Fail(ErrorCode::kInternal, TakeOpensslError("OCSP request"));
  OCSP_CERTID* id_copy = OCSP_CERTID_dup(r.id.get());
  if (!id_copy || !OCSP_request_add0_id(r.req.get(), id_copy)) {
    OCSP_CERTID_free(id_copy);
    return Fail(ErrorCode::kInternal, TakeOpensslError("OCSP request id"));
  }
  // No nonce: only for re-checking a cached answer (whose nonce was checked when it arrived).
  if (!nonce.empty() && OCSP_request_add1_nonce(r.req.get(), const_cast<uint8_t*>(nonce.data()),
                                                static_cast<int>(nonce.size())) != 1) {
    return Fail(ErrorCode::kInternal, TakeOpensslError("OCSP nonce"));
  }
  return r;
}

// A cached good answer for `leaf`, verified again: signature and certificate id, status good,
// thisUpdate <= now < nextUpdate (no skew past nextUpdate). Anything else removes the entry.
Result<OcspAnswer> CachedAnswer(const Certificate& leaf, const Certificate& issuer,
                                std::span<const Certificate> trusted, const OcspOptions& options,
                                int64_t now, const Error& unavailable) {
  const std::string key = OcspCacheKey(leaf, issuer);
  auto der = OcspCacheGet(options.cache_dir, key);
  if (!der) return Fail(unavailable);
  OcspOptions o = options;
  o.require_nonce = false;
  o.clock_skew_seconds = 0;
  auto answer = VerifyOcspResponse(*der, leaf, issuer, trusted, {}, o, now);
  if (!answer || answer->status != OcspAnswer::Status::kGood || answer->next_update == 0 ||
      answer->next_update <= now || answer->this_update > now) {
    OcspCacheRemove(options.cache_dir, key);
    return Fail(unavailable);
  }
  answer->from_cache = true;
  answer->url = "cache";
  return answer;
}

}  // namespace

Result<OcspAnswer> CheckOcsp(const Certificate& leaf, const Certificate& issuer,
                             std::span<const Certificate> trusted, const OcspOptions& options,
                             int64_t now) {
  const bool cache = !options.cache_dir.empty();
  auto url = ResponderUrl(leaf, options);
  if (!url) {
    if (cache && url.error().code == ErrorCode::kOcspUnavailable)
      return CachedAnswer(leaf, issuer, trusted, options, now, url.error());
    return Fail(url.error());
  }
  KW_ASSIGN_OR_RETURN(Bytes nonce, RandomBytes(32));
  KW_ASSIGN_OR_RETURN(Request request, BuildRequest(leaf, issuer, nonce));
  auto body = Exchange(*url, request.req.get(), options.timeout_seconds);
  if (!body) {
    if (cache && body.error().code == ErrorCode::kOcspUnavailable)
      return CachedAnswer(leaf, issuer, trusted, options, now, body.error());
    return Fail(body.error());
  }
  auto answer = VerifyOcspResponse(*body, leaf, issuer, trusted, nonce, options, now);
  if (!answer) {
    if (cache && answer.error().code == ErrorCode::kOcspUnavailable)  // tryLater, internalError
      return CachedAnswer(leaf, issuer, trusted, options, now, answer.error());
    return answer;
  }
  answer->url = *url;
  if (cache) {
    const std::string key = OcspCacheKey(leaf, issuer);
    if (answer->status == OcspAnswer::Status::kGood && answer->next_update > now) {
      OcspCachePut(options.cache_dir, key, *body);
    } else {
      OcspCacheRemove(options.cache_dir, key);
    }
  }
  return answer;
}

Result<OcspAnswer> VerifyOcspResponse(std::span<const uint8_t> der, const Certificate& leaf,
                                      const Certificate& issuer,
                                      std::span<const Certificate> trusted,
                                      std::span<const uint8_t> expected_nonce,
                                      const OcspOptions& options, int64_t now) {
  KW_ASSIGN_OR_RETURN(Request request, BuildRequest(leaf, issuer, expected_nonce));
  OCSP_REQUEST* req = request.req.get();
  OCSP_CERTID* id = request.id.get();
  if (der.size() > 64 * 1024) return Fail(ErrorCode::kOcspResponseInvalid, "response too long");
  const unsigned char* p = der.data();
  OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));  // NOLINT
  if (!resp) return Fail(ErrorCode::kOcspResponseInvalid, TakeOpensslError("OCSP response"));
  if (p != der.data() + der.size()) {
    return Fail(ErrorCode::kOcspResponseInvalid, "trailing bytes after the OCSP response");
  }
  int status = OCSP_response_status(resp.get());
  if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    // tryLater / internalError: the responder cannot answer now, which (unsigned, like every
    // error status) tells no more than an unreachable one: soft-fail may accept it. The other
    // statuses (malformedRequest, sigRequired, unauthorized) mean it will never answer for this
    // certificate: a configuration error, never soft-failed.
    bool transient =
        status == OCSP_RESPONSE_STATUS_TRYLATER || status == OCSP_RESPONSE_STATUS_INTERNALERROR;
    return Fail(transient ? ErrorCode::kOcspUnavailable : ErrorCode::kOcspResponseInvalid,
                std::string("OCSP responder status ") + OCSP_response_status_str(status),
                static_cast<uint32_t>(status));
  }
  OcspBasicPtr basic(OCSP_response_get1_basic(resp.get()));
  if (!basic) return Fail(ErrorCode::kOcspResponseInvalid, TakeOpensslError("OCSP basic response"));

  // Signature: by the issuer itself or a delegated responder certified by it, chaining to a
  // configured CA at the caller's time.
  X509StorePtr store(X509_STORE_new());
  if (!store) return Fail(ErrorCode::kInternal, "X509_STORE_new");
  for (const Certificate& c : trusted) X509_STORE_add_cert(store.get(), c.get());
  X509_VERIFY_PARAM* param = X509_STORE_get0_param(store.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(now));
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  STACK_OF(X509)* extra = sk_X509_new_null();
  sk_X509_push(extra, issuer.get());
  int verified = OCSP_basic_verify(basic.get(), extra, store.get(), 0);
  sk_X509_free(extra);
  if (verified != 1) {
    return Fail(ErrorCode::kOcspResponseInvalid, TakeOpensslError("OCSP signature"));
  }

  // The nonce only after the signature: a nonce mismatch then means a genuinely signed response
  // that answers another request (a replay), never an unsigned forgery.
  // OCSP_check_nonce: 1 equal, 0 both present and different, -1 ours absent from the response.
  int nonce_check = OCSP_check_nonce(req, basic.get());
  if (nonce_check == 0) return Fail(ErrorCode::kOcspNonceMismatch, "OCSP nonce differs");
  if (nonce_check != 1 && options.require_nonce) {
    return Fail(ErrorCode::kOcspNonceMissing, "OCSP response carries no nonce");
  }

  int cert_status = -1, reason = -1;
  ASN1_GENERALIZEDTIME *rev_time = nullptr, *this_upd = nullptr, *next_upd = nullptr;
  if (OCSP_resp_find_status(basic.get(), id, &cert_status, &reason, &rev_time, &this_upd,
                            &next_upd) != 1) {
    return Fail(ErrorCode::kOcspResponseInvalid, "OCSP response does not cover the certificate");
  }
  OcspAnswer answer;
  answer.this_update = ToUnix(this_upd);
  answer.next_update = next_upd ? ToUnix(next_upd) : 0;
  answer.revocation_time = rev_time ? ToUnix(rev_time) : 0;
  if (answer.this_update == 0)
    return Fail(ErrorCode::kOcspResponseInvalid, "thisUpdate unreadable");
  if (next_upd && answer.next_update < answer.this_update) {
    return Fail(ErrorCode::kOcspResponseInvalid, "OCSP nextUpdate before thisUpdate");
  }
  if (answer.this_update > now + options.clock_skew_seconds) {
    return Fail(ErrorCode::kOcspStale, "OCSP response from the future");
  }
  if (next_upd) {
    if (answer.next_update < now - options.clock_skew_seconds) {
      return Fail(ErrorCode::kOcspStale, "OCSP response past nextUpdate");
    }
  } else if (now - answer.this_update > options.max_age_seconds) {
    return Fail(ErrorCode::kOcspStale, "OCSP response older than the freshness window");
  }
  switch (cert_status) {
    case V_OCSP_CERTSTATUS_GOOD:
      answer.status = OcspAnswer::Status::kGood;
      break;
    case V_OCSP_CERTSTATUS_REVOKED:
      answer.status = OcspAnswer::Status::kRevoked;
      break;
    default:
      answer.status = OcspAnswer::Status::kUnknown;
      break;
  }
  ERR_clear_error();
  return answer;
}

}  // namespace keyward::pkcs11
