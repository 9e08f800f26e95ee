"""WebAuthn relying-party functions in the style of py_webauthn, over keyward's C ABI.

    options = generate_registration_options(rp_id="example.com", rp_name="Example",
                                            user_name="alice")
    # send options.json to the browser; keep options.challenge with the session
    reg = verify_registration_response(credential=body, expected_challenge=options.challenge,
                                       expected_origin="https://example.com",
                                       expected_rp_id="example.com")
    # store reg.credential_id, reg.credential_public_key, reg.sign_count

Every refusal raises keyward.KeywardError with the stable code and name.
"""

from __future__ import annotations

import ctypes
import dataclasses
import datetime
import functools
import json
import os
import sys
from typing import Any, Dict, List, Optional, Sequence, Union

from . import _lib
from ._util import b64url, json_text, unb64url

Json = Union[str, bytes, Dict[str, Any]]
Origins = Union[str, Sequence[str]]


@dataclasses.dataclass
class Options:
    """Options for navigator.credentials.create() / get(): `json` is the L3 options JSON."""
    json: str
    challenge: bytes

    def to_dict(self) -> Dict[str, Any]:
        return json.loads(self.json)


def options_to_json(options: Options) -> str:
    return options.json


def _descriptors(creds) -> List[Dict[str, Any]]:
    out = []
    for c in creds or ():
        if isinstance(c, (bytes, bytearray)):
            out.append({"id": b64url(bytes(c))})
        else:  # {"id": bytes, "transports": [...]}
            d = {"id": b64url(c["id"])}
            if c.get("transports"):
                d["transports"] = list(c["transports"])
            out.append(d)
    return out


def generate_registration_options(*, rp_id: str, rp_name: Optional[str] = None,
                                  user_name: str, user_id: Optional[bytes] = None,
                                  user_display_name: Optional[str] = None,
                                  challenge: Optional[bytes] = None, timeout: int = 300000,
                                  attestation: str = "none",
                                  authenticator_attachment: Optional[str] = None,
                                  resident_key: str = "preferred",
                                  user_verification: str = "preferred",
                                  exclude_credentials: Optional[Sequence[Any]] = None,
                                  supported_pub_key_algs: Optional[Sequence[int]] = None,
                                  hints: Optional[Sequence[str]] = None,
                                  extensions: Optional[Dict[str, Any]] = None) -> Options:
    """PublicKeyCredentialCreationOptionsJSON. user_id defaults to 32 random bytes (a user handle
    must never be personal data); challenge to 32 random bytes."""
    selection: Dict[str, Any] = {"resident_key": resident_key,
                                 "user_verification": user_verification}
    if authenticator_attachment:
        selection["authenticator_attachment"] = authenticator_attachment
    params: Dict[str, Any] = {
        "rp": {"id": rp_id, "name": rp_name or rp_id},
        "user": {"id": b64url(user_id if user_id is not None else os.urandom(32)),
                 "name": user_name, "display_name": user_display_name or user_name},
        "timeout_ms": timeout, "attestation": attestation,
        "authenticator_selection": selection,
        "exclude_credentials": _descriptors(exclude_credentials),
    }
    if challenge is not None:
        params["challenge"] = b64url(challenge)
    if supported_pub_key_algs is not None:
        params["pub_key_cred_params"] = list(supported_pub_key_algs)
    if hints:
        params["hints"] = list(hints)
    if extensions:
        params["extensions"] = dict(extensions)
    text = _lib.call_out(_lib.lib.keyward_creation_options, _lib.enc(json.dumps(params)))
    return Options(text, unb64url(json.loads(text)["challenge"]))


def generate_authentication_options(*, rp_id: str, challenge: Optional[bytes] = None,
                                    timeout: int = 300000,
                                    allow_credentials: Optional[Sequence[Any]] = None,
                                    user_verification: str = "preferred",
                                    hints: Optional[Sequence[str]] = None,
                                    extensions: Optional[Dict[str, Any]] = None) -> Options:
    """PublicKeyCredentialRequestOptionsJSON; allow_credentials as ids (bytes) or
    {"id": bytes, "transports": [...]}; empty for discoverable credentials."""
    params: Dict[str, Any] = {"rp_id": rp_id, "timeout_ms": timeout,
                              "user_verification": user_verification,
                              "allow_credentials": _descriptors(allow_credentials)}
    if challenge is not None:
        params["challenge"] = b64url(challenge)
    if hints:
        params["hints"] = list(hints)
    if extensions:
        params["extensions"] = dict(extensions)
    text = _lib.call_out(_lib.lib.keyward_request_options, _lib.enc(json.dumps(params)))
    return Options(text, unb64url(json.loads(text)["challenge"]))


class TrustStore:
    """Attestation trust anchors (certificates, trust directories, CRLs) and FIDO MDS3 metadata.
    Configure it, then share it read-only between threads."""

    def __init__(self) -> None:
        out = ctypes.c_void_p()
        err = _lib.Error()
        _lib.raise_for(_lib.lib.keyward_trust_new(ctypes.byref(out), ctypes.byref(err)), err)
        self._handle = out.value

    def _h(self):
        if not self._handle:
            raise ValueError("TrustStore is closed")
        return self._handle

    def add_directory(self, path: str) -> "TrustStore":
        _lib.call(_lib.lib.keyward_trust_add_directory, self._h(), _lib.enc(os.fspath(path)))
        return self

    def add_file(self, path: str) -> "TrustStore":
        _lib.call(_lib.lib.keyward_trust_add_file, self._h(), _lib.enc(os.fspath(path)))
        return self

    def add_root_der(self, der: bytes) -> "TrustStore":
        _lib.call(_lib.lib.keyward_trust_add_root_der, self._h(), bytes(der), len(der))
        return self

    def load_mds(self, store_path: str) -> "TrustStore":
        _lib.call(_lib.lib.keyward_trust_load_mds, self._h(), _lib.enc(os.fspath(store_path)))
        return self

    @property
    def anchor_count(self) -> int:
        return _lib.lib.keyward_trust_anchor_count(self._h())

    def close(self) -> None:
        if getattr(self, "_handle", None):
            _lib.lib.keyward_trust_free(self._handle)
            self._handle = None

    def __enter__(self) -> "TrustStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


@dataclasses.dataclass
class VerifiedRegistration:
    credential_id: bytes
    credential_public_key: bytes  # COSE_Key: store it
    sign_count: int
    alg: int
    aaguid: str
    fmt: str
    attestation_type: str  # none | self | basic | attca | anonca
    user_present: bool
    user_verified: bool
    backup_eligible: bool
    backup_state: bool
    credential_device_type: str  # "single_device" | "multi_device" (py_webauthn's names)
    credential_backed_up: bool
    trust_status: str  # unverified | trusted | untrusted
    trust_anchor: Optional[str]
    trust_error: Optional[str]  # stable name of why the trust path failed
    transports: List[str]
    authenticator_attachment: Optional[str]
    cred_props_rk: Optional[bool]
    cred_protect: Optional[int]
    notes: List[str]
    raw: Dict[str, Any]  # the verdict object as keyward produced it


@dataclasses.dataclass(**({"slots": True} if sys.version_info >= (3, 10) else {}))
class VerifiedAuthentication:
    credential_id: bytes
    new_sign_count: int  # store it
    user_present: bool
    user_verified: bool
    backup_eligible: bool
    backup_state: bool
    credential_device_type: str
    credential_backed_up: bool
    sign_count_regressed: bool
    backup_state_changed: bool
    appid_used: bool
    user_handle: Optional[bytes]


def _time(verify_at) -> Dict[str, Any]:
    if verify_at is None:
        return {}
    if isinstance(verify_at, datetime.datetime):
        return {"verify_time": int(verify_at.timestamp())}
    if isinstance(verify_at, str):
        return {"verify_at": verify_at}
    return {"verify_time": int(verify_at)}


def _common(expected_challenge: bytes, expected_origin: Origins, expected_rp_id: str,
            require_user_verification: bool, allow_cross_origin: bool, expected_top_origin,
            verify_at) -> Dict[str, Any]:
    e: Dict[str, Any] = {
        "expected_challenge": b64url(expected_challenge),
        "expected_origin": expected_origin if isinstance(expected_origin, str)
        else list(expected_origin),
        "expected_rp_id": expected_rp_id,
    }
    if require_user_verification:
        e["require_user_verification"] = True
    if allow_cross_origin:
        e["allow_cross_origin"] = True
    if expected_top_origin is not None:
        e["expected_top_origin"] = expected_top_origin if isinstance(expected_top_origin, str) \
            else list(expected_top_origin)
    e.update(_time(verify_at))
    return e


def verify_registration_response(*, credential: Json, expected_challenge: bytes,
                                 expected_origin: Origins, expected_rp_id: str,
                                 require_user_verification: bool = False,
                                 supported_pub_key_algs: Optional[Sequence[int]] = None,
                                 trust: Optional[TrustStore] = None,
                                 attestation_trust_anchor_der: Optional[bytes] = None,
                                 attestation_policy: str = "ciam",
                                 aaguid_allow_list: Optional[Sequence[str]] = None,
                                 minimum_certification_level: Optional[str] = None,
                                 allow_cross_origin: bool = False,
                                 expected_top_origin: Optional[Origins] = None,
                                 allow_conditional_create: bool = False,
                                 verify_at=None,
                                 insecure_allow_rs1: bool = False) -> VerifiedRegistration:
    """Verifies a RegistrationResponseJSON (str or dict); raises KeywardError on refusal."""
    e = _common(expected_challenge, expected_origin, expected_rp_id, require_user_verification,
                allow_cross_origin, expected_top_origin, verify_at)
    if supported_pub_key_algs is not None:
        e["pub_key_cred_params_algs"] = list(supported_pub_key_algs)
    if attestation_trust_anchor_der is not None:
        e["attestation_trust_anchor_der"] = b64url(attestation_trust_anchor_der)
    if attestation_policy != "ciam":
        e["attestation_policy"] = attestation_policy
    if aaguid_allow_list is not None:
        e["aaguid_allow_list"] = list(aaguid_allow_list)
    if minimum_certification_level is not None:
        e["minimum_certification_level"] = minimum_certification_level
    if allow_conditional_create:
        e["allow_conditional_create"] = True
    if insecure_allow_rs1:
        e["insecure_allow_rs1"] = True
    handle = trust._h() if trust is not None else None
    v = json.loads(_lib.call_out(_lib.lib.keyward_verify_registration, handle,
                                 _lib.enc(json_text(credential)), _lib.enc(json.dumps(e))))
    flags = v["flags"]
    trust_v = v.get("trust", {})
    return VerifiedRegistration(
        credential_id=unb64url(v["credential_id"]),
        credential_public_key=unb64url(v["credential_public_key"]),
        sign_count=v["sign_count"], alg=v["alg"], aaguid=v["aaguid"], fmt=v["fmt"],
        attestation_type=v["attestation_type"], user_present=flags["up"],
        user_verified=flags["uv"], backup_eligible=flags["be"], backup_state=flags["bs"],
        credential_device_type="multi_device" if flags["be"] else "single_device",
        credential_backed_up=flags["bs"], trust_status=trust_v.get("status", "unverified"),
        trust_anchor=trust_v.get("anchor"),
        trust_error=(trust_v.get("error") or {}).get("code"),
        transports=v.get("transports", []),
        authenticator_attachment=v.get("authenticator_attachment"),
        cred_props_rk=v.get("cred_props_rk"), cred_protect=v.get("cred_protect"),
        notes=v.get("notes", []), raw=v)


_verify_authentication = _lib.lib.keyward_verify_authentication_struct
_Assertion = _lib.Assertion
_string_at = ctypes.string_at


@functools.lru_cache(maxsize=1024)
def _json_string(s: str) -> str:
    if not isinstance(s, str):
        raise TypeError("expected a str")
    return json.dumps(s)


def _json_origins(origins: Origins) -> str:
    if isinstance(origins, str):
        return _json_string(origins)
    return json.dumps(list(origins))

_Error = _lib.Error
_byref = ctypes.byref
_c_void_p = ctypes.c_void_p
_dumps = json.dumps
_loads = json.loads


def verify_authentication_response(*, credential: Json, expected_challenge: bytes,
                                   expected_rp_id: str, expected_origin: Origins,
                                   credential_public_key: bytes,
                                   credential_current_sign_count: int = 0,
                                   require_user_verification: bool = False,
                                   credential_id: Optional[bytes] = None,
                                   allow_credentials: Optional[Sequence[bytes]] = None,
                                   user_handle: Optional[bytes] = None,
                                   prior_backup_eligible: Optional[bool] = None,
                                   prior_backup_state: Optional[bool] = None,
                                   expected_appid: Optional[str] = None,
                                   sign_count_policy: str = "reject",
                                   allow_cross_origin: bool = False,
                                   expected_top_origin: Optional[Origins] = None,
                                   verify_at=None,
                                   insecure_allow_rs1: bool = False) -> VerifiedAuthentication:
    """Verifies an AuthenticationResponseJSON (str or dict) against the stored credential;
    raises KeywardError on refusal. credential_id defaults to the response's rawId (the caller
    looked the credential up by it); allow_credentials to [credential_id]."""
    # The hot path of a relying party: the expectations' JSON text is assembled directly (base64url
    # needs no escaping; the RP ID and origins, which repeat, are escaped once and cached).
    text = ('{"expected_challenge":"' + b64url(expected_challenge) +
            '","expected_rp_id":' + _json_string(expected_rp_id) +
            ',"expected_origin":' + _json_origins(expected_origin) +
            ',"credential_public_key":"' + b64url(credential_public_key) + '"')
    e: Dict[str, Any] = {}
    if require_user_verification:
        e["require_user_verification"] = True
    if allow_cross_origin:
        e["allow_cross_origin"] = True
    if expected_top_origin is not None:
        e["expected_top_origin"] = expected_top_origin if isinstance(expected_top_origin, str) \
            else list(expected_top_origin)
    if verify_at is not None:
        e.update(_time(verify_at))
    if credential_current_sign_count:
        e["prior_sign_count"] = credential_current_sign_count
    if credential_id is not None:
        e["credential_id"] = b64url(credential_id)
    if allow_credentials is not None:
        e["allow_credentials"] = [b64url(c) for c in allow_credentials]
    if user_handle is not None:
        e["user_handle"] = b64url(user_handle)
    if prior_backup_eligible is not None:
        e["prior_backup_eligible"] = prior_backup_eligible
    if prior_backup_state is not None:
        e["prior_backup_state"] = prior_backup_state
    if expected_appid is not None:
        e["expected_appid"] = expected_appid
    if sign_count_policy != "reject":
        e["sign_count_policy"] = sign_count_policy
    if insecure_allow_rs1:
        e["insecure_allow_rs1"] = True
    if e:
        text += "," + _dumps(e)[1:-1]
    text += "}"
    response = credential if isinstance(credential, str) else json_text(credential)
    # The struct form of the call: no verdict JSON to parse (the Python objects json.loads made
    # cost more than the parse itself), credential id and user handle as raw bytes.
    a = _Assertion()
    err = _Error()
    rc = _verify_authentication(response.encode(), text.encode(), _byref(a), _byref(err))
    if rc:
        _lib.raise_for(rc, err)
    flags = a.flags
    return VerifiedAuthentication(
        credential_id=_string_at(a.credential_id, a.credential_id_len),
        new_sign_count=a.sign_count, user_present=bool(flags & 0x01),
        user_verified=bool(flags & 0x04), backup_eligible=bool(flags & 0x08),
        backup_state=bool(flags & 0x10),
        credential_device_type="multi_device" if flags & 0x08 else "single_device",
        credential_backed_up=bool(flags & 0x10),
        sign_count_regressed=bool(a.sign_count_regressed),
        backup_state_changed=bool(a.backup_state_changed), appid_used=bool(a.appid_used),
        user_handle=_string_at(a.user_handle, a.user_handle_len) if a.user_handle_len else None)


@dataclasses.dataclass
class CaseVerdict:
    verified: bool
    verdict: Dict[str, Any]  # the `keyward verify` verdict object
    error: Optional[Any] = None  # KeywardError when not verified


def verify_case(case: Json, trust: Optional[TrustStore] = None) -> CaseVerdict:
    """Runs a whole `keyward verify` case (kind, response, expectations): never raises for a
    rejection or an unusable case; the verdict says why (error.code)."""
    out = ctypes.c_void_p()
    err = _lib.Error()
    rc = _lib.lib.keyward_verify_case(trust._h() if trust is not None else None,
                                      _lib.enc(json_text(case)), ctypes.byref(out),
                                      ctypes.byref(err))
    text = _lib.take(out)
    verdict = json.loads(text) if text else {}
    if rc == 0:
        return CaseVerdict(True, verdict)
    from .errors import KeywardError
    return CaseVerdict(False, verdict, KeywardError(rc, (err.name or b"").decode(), err.native,
                                                    err.detail.decode("utf-8", "replace")))


def new_challenge() -> bytes:
    """32 random bytes from keyward (WebAuthn §13.4.3)."""
    return unb64url(_lib.call_out(_lib.lib.keyward_new_challenge))
