/* keyward's C ABI (C11; usable from C++): WebAuthn relying-party verification and the unified
 * authenticator, for servers not written in C++ (Python, Go, Java, Node, ... through their FFI).
 * Library: libkeyward-c.so (SONAME libkeyward-c.so.0); only keyward_* symbols are exported.
 * Reference: docs/capi.md.
 *
 * Conventions (every function):
 *  - Returns KEYWARD_OK (0) on success, otherwise the failure's stable error number: the same
 *    number and name as the C++ API's keyward::ErrorCode (the closed list in
 *    keyward/error_codes.inc). keyward_error_name(n) gives the stable snake_case name.
 *  - `keyward_error* err` (may be NULL) receives the details of the call: code, native code, name
 *    and a human-readable detail (never a secret; not part of the contract: match on the code).
 *    It is written on every return, also on success. Nothing is kept in global or thread-local
 *    state: the error lives in the caller's struct, so every function is reentrant.
 *  - Strings are NUL-terminated UTF-8. Ceremony data, results and configurations are JSON text.
 *    Bytes inside JSON are base64url without padding.
 *  - Every `char** out` receives a string allocated by keyward, or NULL on failure; the caller
 *    frees it with keyward_string_free. Nothing else returned by keyward needs freeing, except
 *    handles, each with its own *_free / *_close function. Passing NULL to a free is allowed.
 *  - A NULL required pointer or a malformed argument is KEYWARD_kInvalidArgument (100); malformed
 *    JSON input is json_malformed / json_missing_field / json_wrong_type / invalid_argument;
 *    unknown members of configuration and expectation objects are refused (invalid_argument)
 *    so that a misspelt option never silently weakens a check. Untrusted WebAuthn responses
 *    ignore unknown members as WebAuthn requires.
 *  - No C++ exception crosses this interface: an unexpected internal failure (including memory
 *    exhaustion) is KEYWARD_kInternal (900).
 *
 * Thread-safety: functions without a handle are thread-safe. keyward_trust: configure it from one
 * thread; once configured it may be shared read-only by any number of threads verifying at once
 * (adding anchors while another thread verifies with it is a data race). keyward_authenticator:
 * thread-safe; calls on one handle serialize on its single SQLite connection, so threads that log
 * in concurrently should each open their own handle (several handles, in one or many processes,
 * may share one database file).
 */
#ifndef KEYWARD_KEYWARD_H_
#define KEYWARD_KEYWARD_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define KEYWARD_C_EXPORT __attribute__((visibility("default")))
#else
#define KEYWARD_C_EXPORT
#endif

/* ABI version of this header; the library's is keyward_c_abi_version(). Bumped with the SONAME. */
#define KEYWARD_C_ABI_VERSION 0

/* ---- Errors ---------------------------------------------------------------------------------- */

/* Every C++ keyward::ErrorCode::kName is KEYWARD_kName here, with the same number. */
enum keyward_status {
  KEYWARD_OK = 0,
#define KW_ERROR(name, value, text) KEYWARD_##name = value,
#include "keyward/error_codes.inc"
#undef KW_ERROR
  KEYWARD_STATUS_END_ /* not a code */
};

#define KEYWARD_ERROR_DETAIL_SIZE 256

typedef struct keyward_error {
  int code;         /* KEYWARD_OK or an error number */
  uint32_t native;  /* the lower layer's code (SW1SW2, CKR_*, ...; for step_up_required the
                       required AAL 1..3), 0 when none */
  const char* name; /* stable name, static storage ("ok" on success); never freed */
  char detail[KEYWARD_ERROR_DETAIL_SIZE]; /* NUL-terminated, possibly truncated */
} keyward_error;

/* The stable snake_case name of an error number ("challenge_mismatch"); "ok" for 0; "unknown"
 * for a number that is not a code. Static storage. */
KEYWARD_C_EXPORT const char* keyward_error_name(int code);
/* The number of a stable name, or -1 when there is no such name. */
KEYWARD_C_EXPORT int keyward_error_code_from_name(const char* name);
/* Copies up to `capacity` error numbers (in the order of keyward/error_codes.inc) into `out`
 * (may be NULL when capacity is 0) and returns how many codes exist. */
KEYWARD_C_EXPORT size_t keyward_error_codes(int* out, size_t capacity);

/* ---- Library --------------------------------------------------------------------------------- */

KEYWARD_C_EXPORT const char* keyward_version(void); /* e.g. "0.1.0"; static storage */
KEYWARD_C_EXPORT int keyward_c_abi_version(void);   /* KEYWARD_C_ABI_VERSION of the library */
KEYWARD_C_EXPORT void keyward_string_free(char* s); /* frees any char* keyward returned */

/* 32 random bytes (WebAuthn §13.4.3), base64url, into *challenge_out. */
KEYWARD_C_EXPORT int keyward_new_challenge(char** challenge_out, keyward_error* err);

/* ---- WebAuthn options (L3 JSON for navigator.credentials.create / get) ------------------------
 * params_json of keyward_creation_options (unknown members refused):
 *   rp {id, name}, user {id (base64url, 1..64 bytes), name, display_name},
 *   challenge (base64url; omitted: 32 fresh random bytes), pub_key_cred_params [COSE alg ...],
 *   timeout_ms, exclude_credentials [{id, transports [...]}], authenticator_selection
 *   {authenticator_attachment, resident_key, user_verification}, hints [...], attestation,
 *   attestation_formats [...], extensions {cred_props, cred_protect, enforce_cred_protect,
 *   large_blob_support, prf, min_pin_length}.
 * params_json of keyward_request_options:
 *   rp_id, challenge (optional as above), timeout_ms, allow_credentials [{id, transports}],
 *   user_verification, hints [...], extensions {appid, prf_first, prf_second, large_blob_read}.
 * The output is PublicKeyCredentialCreationOptionsJSON / PublicKeyCredentialRequestOptionsJSON; its
 * "challenge" member is the challenge to keep with the session. Out-of-range values:
 * options_invalid. */
KEYWARD_C_EXPORT int keyward_creation_options(const char* params_json, char** options_json_out,
                                              keyward_error* err);
KEYWARD_C_EXPORT int keyward_request_options(const char* params_json, char** options_json_out,
                                             keyward_error* err);

/* ---- Attestation trust (anchors, CRLs, FIDO MDS3) -------------------------------------------- */

typedef struct keyward_trust keyward_trust;

KEYWARD_C_EXPORT int keyward_trust_new(keyward_trust** trust_out, keyward_error* err);
KEYWARD_C_EXPORT void keyward_trust_free(keyward_trust* trust);
/* A trust directory: certificate files (.pem .crt .cer .der) directly in DIR for every format,
 * in DIR/formats/<fmt>/ for one format, in DIR/aaguids/<aaguid>/ for one AAGUID; CRLs in
 * DIR/crls/ or as .crl files (config_invalid naming a bad file). */
KEYWARD_C_EXPORT int keyward_trust_add_directory(keyward_trust* trust, const char* dir,
                                                 keyward_error* err);
/* Every certificate of a PEM or DER file, as a root for all formats. */
KEYWARD_C_EXPORT int keyward_trust_add_file(keyward_trust* trust, const char* path,
                                            keyward_error* err);
/* One DER certificate as a root for all formats (certificate_malformed when it does not parse). */
KEYWARD_C_EXPORT int keyward_trust_add_root_der(keyward_trust* trust, const uint8_t* der,
                                                size_t der_len, keyward_error* err);
/* A verified FIDO MDS3 BLOB stored by `keyward mds import` (replaces a previously loaded one). */
KEYWARD_C_EXPORT int keyward_trust_load_mds(keyward_trust* trust, const char* store_path,
                                            keyward_error* err);
/* Number of anchors (not counting metadata roots). */
KEYWARD_C_EXPORT size_t keyward_trust_anchor_count(const keyward_trust* trust);

/* ---- WebAuthn verification --------------------------------------------------------------------
 * response_json: RegistrationResponseJSON / AuthenticationResponseJSON as the browser's
 * PublicKeyCredential.toJSON() gives it (untrusted input).
 * expectations_json (the fields of a `keyward verify` case, README "Verification cases"):
 *   expected_challenge (base64url, required), expected_origin (string or list, required),
 *   expected_rp_id (required), require_user_verification, allow_cross_origin,
 *   expected_top_origin (string or list), verify_at (ISO-8601) or verify_time (Unix seconds).
 *  registration only: pub_key_cred_params_algs [COSE alg], allow_conditional_create,
 *   attestation_trust_anchor_der (base64url root added to the trust for this call),
 *   attestation_policy ("ciam" default | "workforce": a trusted attestation is required),
 *   aaguid_allow_list ["xxxxxxxx-xxxx-...", ...] and minimum_certification_level ("L1".."L3+")
 *   (workforce only), safetynet_max_age_ms, safetynet_max_future_skew_ms,
 *   android_key_require_tee, insecure_allow_rs1.
 *  authentication only: credential_public_key (base64url COSE_Key, required), prior_sign_count,
 *   credential_id (base64url; default: the response's rawId, i.e. the caller looked the
 *   credential up by it), allow_credentials [base64url] (default [credential_id]; [] for a
 *   discoverable request, then user_handle is required), user_handle (base64url),
 *   prior_backup_eligible, prior_backup_state, expected_appid, sign_count_policy
 *   ("reject" default | "flag"), insecure_allow_rs1.
 * trust may be NULL (attestation trust is then "unverified" unless attestation_trust_anchor_der
 * is given).
 * result_json_out: the verdict object of `keyward verify` (verified, kind, ...; registration adds
 * transports, authenticator_attachment, cred_props_rk, cred_protect when present). On a
 * rejection it is NULL and the return value is the check's code (challenge_mismatch, ...). */
KEYWARD_C_EXPORT int keyward_verify_registration(const keyward_trust* trust,
                                                 const char* response_json,
                                                 const char* expectations_json,
                                                 char** result_json_out, keyward_error* err);
KEYWARD_C_EXPORT int keyward_verify_authentication(const char* response_json,
                                                   const char* expectations_json,
                                                   char** result_json_out, keyward_error* err);
/* The same verification for bindings' hot path: the outcome in a caller-provided struct instead
 * of verdict JSON (no allocation, nothing to free). Same expectations, same codes. */
#define KEYWARD_FLAG_UP 0x01u /* authenticator data flags, at their WebAuthn bit positions */
#define KEYWARD_FLAG_UV 0x04u
#define KEYWARD_FLAG_BE 0x08u
#define KEYWARD_FLAG_BS 0x10u
typedef struct keyward_assertion {
  uint32_t sign_count;      /* the new counter: store it */
  uint32_t flags;           /* KEYWARD_FLAG_* */
  int sign_count_regressed; /* 0 / 1 (only with sign_count_policy "flag") */
  int backup_state_changed; /* 0 / 1 */
  int appid_used;           /* 0 / 1 */
  size_t credential_id_len;
  uint8_t credential_id[1023]; /* WebAuthn caps credential ids at 1023 bytes */
  size_t user_handle_len;      /* 0: the response carried none */
  uint8_t user_handle[64];
} keyward_assertion;
KEYWARD_C_EXPORT int keyward_verify_authentication_struct(const char* response_json,
                                                          const char* expectations_json,
                                                          keyward_assertion* result_out,
                                                          keyward_error* err);
/* A whole `keyward verify` case (kind + response + expectations, one JSON object).
 * *verdict_json_out is always set when the case could be read, also on a rejection (then with
 * "error": {code, message}); the return value is 0 (verified) or the rejection's code. */
KEYWARD_C_EXPORT int keyward_verify_case(const keyward_trust* trust, const char* case_json,
                                         char** verdict_json_out, keyward_error* err);

/* ---- Unified authenticator (SQLite store, policy, assurance, audit) ------------------------- */

typedef struct keyward_authenticator keyward_authenticator;

/* Wall clock override (Unix seconds), for tests and replays. Must not fail. */
typedef int64_t (*keyward_clock_fn)(void* context);

/* config_json (unknown members refused):
 *   db_path (required; created when missing), rp_id (required), rp_name, origins [...] (required),
 *   policy ("ciam" default | "workforce" | a policy object, docs/authenticator.md),
 *   smart_card_anchors_der [base64url DER], smart_card_crls [base64url DER],
 *   store_relaxed_durability (bool, default false).
 * trust (may be NULL): attestation anchors and metadata; open takes its own snapshot, so the
 * trust object may be changed or freed afterwards. */
KEYWARD_C_EXPORT int keyward_authenticator_open(const char* config_json, const keyward_trust* trust,
                                                keyward_authenticator** auth_out,
                                                keyward_error* err);
/* As keyward_authenticator_open, with `clock(clock_context)` as the time source. */
KEYWARD_C_EXPORT int keyward_authenticator_open_with_clock(
    const char* config_json, const keyward_trust* trust, keyward_clock_fn clock,
    void* clock_context, keyward_authenticator** auth_out, keyward_error* err);
KEYWARD_C_EXPORT void keyward_authenticator_close(keyward_authenticator* auth);

/* Principals: {id, user_handle, name, display_name, created_at}; lists are JSON arrays. */
KEYWARD_C_EXPORT int keyward_create_principal(keyward_authenticator* auth, const char* name,
                                              const char* display_name, char** principal_json_out,
                                              keyward_error* err);
KEYWARD_C_EXPORT int keyward_get_principal(keyward_authenticator* auth, const char* principal_id,
                                           char** principal_json_out, keyward_error* err);
KEYWARD_C_EXPORT int keyward_find_principal_by_name(keyward_authenticator* auth, const char* name,
                                                    char** principal_json_out, keyward_error* err);
KEYWARD_C_EXPORT int keyward_list_principals(keyward_authenticator* auth,
                                             char** principals_json_out, keyward_error* err);
/* Credentials: the CredentialToJson form (docs/authenticator.md). */
KEYWARD_C_EXPORT int keyward_list_credentials(keyward_authenticator* auth, const char* principal_id,
                                              char** credentials_json_out, keyward_error* err);

/* Ceremony start: {ceremony_id, options (the L3 options object, or null for a smart-card-only
 * login), challenge (base64url), expires_at}. Keep ceremony_id with the session.
 * kind: "passkey" | "security_key". */
KEYWARD_C_EXPORT int keyward_begin_registration(keyward_authenticator* auth,
                                                const char* principal_id, const char* kind,
                                                char** start_json_out, keyward_error* err);
/* *credential_json_out: the stored credential. nickname may be NULL. */
KEYWARD_C_EXPORT int keyward_finish_registration(keyward_authenticator* auth,
                                                 const char* ceremony_id, const char* response_json,
                                                 const char* nickname, char** credential_json_out,
                                                 keyward_error* err);
/* enrollment_json: {certificate_der (base64url), intermediates_der [...], nickname}. */
KEYWARD_C_EXPORT int keyward_enroll_certificate(keyward_authenticator* auth,
                                                const char* principal_id,
                                                const char* enrollment_json,
                                                char** credential_json_out, keyward_error* err);

/* request_json (may be NULL = {}): {principal_id (omitted: discoverable), step_up_to
 * ("aal1".."aal3"), kinds ["passkey", "security_key", "smart_card"]}. */
KEYWARD_C_EXPORT int keyward_begin_login(keyward_authenticator* auth, const char* request_json,
                                         char** start_json_out, keyward_error* err);

/* Sessions cross the ABI as JSON, owned by the caller (keep it server-side, e.g. in the
 * session store): {principal_id, aal ("none".."aal3"), aal_reason, authenticated_at,
 * pending_step_up (null or {outcome, required_aal, satisfying_kinds, reasons})}.
 * session_json may be NULL or "" for a new session. *session_json_out (may be NULL) receives the
 * updated session whenever the facade ran, on success and on failure alike (a step-up answer
 * records pending_step_up); it is NULL only when the arguments were refused.
 * context_json (may be NULL = {}): {ip, country, device_posture [...], time (Unix seconds),
 * action (default "login")}.
 * *result_json_out: the AuthResultToJson form {principal_id, principal_name, credential_id,
 * credential_nickname, kind, aal, aal_reason, user_verified, sign_count, risk {...},
 * decision {...}}. step_up_required comes back as the return value with native = the AAL. */
KEYWARD_C_EXPORT int keyward_finish_login(keyward_authenticator* auth, const char* ceremony_id,
                                          const char* response_json, const char* context_json,
                                          const char* session_json, char** result_json_out,
                                          char** session_json_out, keyward_error* err);
/* evidence_json: {certificate_der, signature (over the raw challenge), cose_alg (default -7),
 * pin_verified}. */
KEYWARD_C_EXPORT int keyward_finish_certificate_login(
    keyward_authenticator* auth, const char* ceremony_id, const char* evidence_json,
    const char* context_json, const char* session_json, char** result_json_out,
    char** session_json_out, keyward_error* err);
/* login_json: {certificate_fingerprint_sha256 (hex), assurance_level ("aal3"|"aal2"),
 * pin_verified} — a login keyward's PKCS#11 layer already verified on this host. */
KEYWARD_C_EXPORT int keyward_finish_verified_card_login(
    keyward_authenticator* auth, const char* ceremony_id, const char* login_json,
    const char* context_json, const char* session_json, char** result_json_out,
    char** session_json_out, keyward_error* err);
/* Does the session satisfy `action`? 0, step_up_required (session's pending_step_up says with
 * what) or policy_denied. */
KEYWARD_C_EXPORT int keyward_authorize(keyward_authenticator* auth, const char* session_json,
                                       const char* action, char** session_json_out,
                                       keyward_error* err);

/* Administration. Credential ids are base64url. */
KEYWARD_C_EXPORT int keyward_set_display_name(keyward_authenticator* auth, const char* principal_id,
                                              const char* display_name, keyward_error* err);
KEYWARD_C_EXPORT int keyward_rename_credential(keyward_authenticator* auth,
                                               const char* credential_id, const char* nickname,
                                               keyward_error* err);
KEYWARD_C_EXPORT int keyward_remove_credential(keyward_authenticator* auth,
                                               const char* credential_id, keyward_error* err);
/* One audited admin action (Authenticator::RecordAdminAction); details_json may be NULL. */
KEYWARD_C_EXPORT int keyward_record_admin_action(keyward_authenticator* auth, const char* action,
                                                 const char* subject, const char* outcome,
                                                 const char* details_json, keyward_error* err);

/* Privacy: everything stored about a principal as one JSON document; erasure. */
KEYWARD_C_EXPORT int keyward_export_principal(keyward_authenticator* auth, const char* principal_id,
                                              char** export_json_out, keyward_error* err);
KEYWARD_C_EXPORT int keyward_erase_principal(keyward_authenticator* auth, const char* principal_id,
                                             keyward_error* err);

/* Audit: the last n records as JSON lines ('\n' after each); n == 0 means all. */
KEYWARD_C_EXPORT int keyward_audit_tail(keyward_authenticator* auth, size_t n, char** jsonl_out,
                                        keyward_error* err);
/* Recomputes the store's hash chain: {records, head_hash}; audit_chain_broken (native = the
 * 1-based line) on tampering. */
KEYWARD_C_EXPORT int keyward_audit_verify(keyward_authenticator* auth, char** result_json_out,
                                          keyward_error* err);
/* Verifies exported JSON lines (e.g. keyward_audit_tail's output or `keyward audit tail --all`). */
KEYWARD_C_EXPORT int keyward_audit_verify_lines(const char* jsonl, char** result_json_out,
                                                keyward_error* err);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KEYWARD_KEYWARD_H_ */
