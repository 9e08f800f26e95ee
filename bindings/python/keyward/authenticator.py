"""keyward's unified authenticator (SQLite store, policy, NIST assurance levels, step-up,
hash-chained audit, export and erasure) over the C ABI.

    with Authenticator(db_path="keyward.db", rp_id="example.com",
                       origins=["https://example.com"]) as auth:
        alice = auth.create_principal("alice", "Alice")
        start = auth.begin_registration(alice.id, "passkey")   # start.options_json → browser
        cred = auth.finish_registration(start.ceremony_id, response_json, "my phone")
        session = Session()
        login = auth.begin_login(alice.id)
        result = auth.finish_login(login.ceremony_id, assertion_json, session)
        auth.authorize(session, "payment")                      # KeywardError step_up_required

One handle is thread-safe but serializes its calls on one SQLite connection: threads that log in
concurrently should each open their own Authenticator on the same file.
"""

from __future__ import annotations

import ctypes
import dataclasses
import json
import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from . import _lib
from ._util import b64url, json_text, unb64url
from .webauthn import TrustStore

Json = Union[str, bytes, Dict[str, Any]]


@dataclasses.dataclass
class Principal:
    id: str
    user_handle: bytes
    name: str
    display_name: str
    created_at: int

    @classmethod
    def _from(cls, d: Dict[str, Any]) -> "Principal":
        return cls(d["id"], unb64url(d["user_handle"]), d["name"], d["display_name"],
                   d["created_at"])


@dataclasses.dataclass
class Credential:
    id: bytes
    principal_id: str
    kind: str  # passkey | security_key | smart_card
    public_key: Optional[bytes]  # COSE_Key (WebAuthn)
    certificate: Optional[bytes]  # DER (smart cards)
    alg: int
    sign_count: int
    aaguid: Optional[str]
    attestation_fmt: str
    attestation_type: str
    trust_status: str
    trust_anchor: str
    transports: List[str]
    backup_eligible: bool
    backup_state: bool
    user_verified_at_registration: bool
    created_at: int
    last_used_at: int
    nickname: str
    raw: Dict[str, Any]

    @classmethod
    def _from(cls, d: Dict[str, Any]) -> "Credential":
        return cls(unb64url(d["id"]), d["principal_id"], d["kind"],
                   unb64url(d["public_key_cose"]) if "public_key_cose" in d else None,
                   unb64url(d["certificate_der"]) if "certificate_der" in d else None,
                   d["alg"], d["sign_count"], d.get("aaguid"), d["attestation_fmt"],
                   d["attestation_type"], d["trust_status"], d["trust_anchor"], d["transports"],
                   d["backup_eligible"], d["backup_state"], d["user_verified_at_registration"],
                   d["created_at"], d["last_used_at"], d["nickname"], d)


@dataclasses.dataclass
class CeremonyStart:
    ceremony_id: str  # keep it with the session; pass it to finish_*
    options: Optional[Dict[str, Any]]  # L3 options for the browser (None: smart cards only)
    challenge: bytes
    expires_at: int

    @property
    def options_json(self) -> Optional[str]:
        return None if self.options is None else json.dumps(self.options)


@dataclasses.dataclass
class AuthResult:
    principal_id: str
    principal_name: str
    credential_id: bytes
    credential_nickname: str
    kind: str
    aal: str  # aal1 | aal2 | aal3
    aal_reason: str
    user_verified: bool
    sign_count: int
    risk: Dict[str, Any]
    decision: Dict[str, Any]


@dataclasses.dataclass
class AuditVerification:
    records: int
    head_hash: str


@dataclasses.dataclass
class Session:
    """The caller's session state (keep it server-side). Logins raise `aal`; a step-up answer
    records `pending_step_up` (what would satisfy it)."""
    principal_id: str = ""
    aal: str = "none"
    aal_reason: str = ""
    authenticated_at: int = 0
    pending_step_up: Optional[Dict[str, Any]] = None

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "Session":
        s = cls()
        s._update(text)
        return s

    def _update(self, text: Optional[str]) -> None:
        if not text:
            return
        d = json.loads(text)
        self.principal_id = d["principal_id"]
        self.aal = d["aal"]
        self.aal_reason = d["aal_reason"]
        self.authenticated_at = d["authenticated_at"]
        self.pending_step_up = d["pending_step_up"]


def _auth_result(text: str) -> AuthResult:
    d = json.loads(text)
    return AuthResult(d["principal_id"], d["principal_name"], unb64url(d["credential_id"]),
                      d["credential_nickname"], d["kind"], d["aal"], d["aal_reason"],
                      d["user_verified"], d["sign_count"], d["risk"], d["decision"])


def _start(text: str) -> CeremonyStart:
    d = json.loads(text)
    return CeremonyStart(d["ceremony_id"], d["options"], unb64url(d["challenge"]),
                         d["expires_at"])


class Authenticator:
    """An open keyward store. Use as a context manager, or call close()."""

    def __init__(self, *, db_path: str, rp_id: str, origins: Sequence[str],
                 rp_name: Optional[str] = None, policy: Union[str, Dict[str, Any]] = "ciam",
                 trust: Optional[TrustStore] = None,
                 smart_card_anchors: Sequence[bytes] = (), smart_card_crls: Sequence[bytes] = (),
                 store_relaxed_durability: bool = False,
                 clock: Optional[Callable[[], int]] = None) -> None:
        self._handle = None
        config: Dict[str, Any] = {"db_path": os.fspath(db_path), "rp_id": rp_id,
                                  "origins": list(origins), "policy": policy}
        if rp_name is not None:
            config["rp_name"] = rp_name
        if smart_card_anchors:
            config["smart_card_anchors_der"] = [b64url(c) for c in smart_card_anchors]
        if smart_card_crls:
            config["smart_card_crls"] = [b64url(c) for c in smart_card_crls]
        if store_relaxed_durability:
            config["store_relaxed_durability"] = True
        out = ctypes.c_void_p()
        err = _lib.Error()
        trust_h = trust._h() if trust is not None else None
        if clock is not None:
            # Kept alive as long as the handle: keyward calls it for "now" (must not raise).
            self._clock = _lib.CLOCK_FN(lambda _ctx: int(clock()))
            rc = _lib.lib.keyward_authenticator_open_with_clock(
                _lib.enc(json.dumps(config)), trust_h, self._clock, None, ctypes.byref(out),
                ctypes.byref(err))
        else:
            rc = _lib.lib.keyward_authenticator_open(_lib.enc(json.dumps(config)), trust_h,
                                                     ctypes.byref(out), ctypes.byref(err))
        _lib.raise_for(rc, err)
        self._handle = out.value

    def _h(self):
        if not self._handle:
            raise ValueError("Authenticator is closed")
        return self._handle

    def close(self) -> None:
        if getattr(self, "_handle", None):
            _lib.lib.keyward_authenticator_close(self._handle)
            self._handle = None

    def __enter__(self) -> "Authenticator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    # ---- principals ----
    def create_principal(self, name: str, display_name: str = "") -> Principal:
        return Principal._from(json.loads(_lib.call_out(
            _lib.lib.keyward_create_principal, self._h(), _lib.enc(name), _lib.enc(display_name))))

    def get_principal(self, principal_id: str) -> Principal:
        return Principal._from(json.loads(_lib.call_out(
            _lib.lib.keyward_get_principal, self._h(), _lib.enc(principal_id))))

    def find_principal_by_name(self, name: str) -> Principal:
        return Principal._from(json.loads(_lib.call_out(
            _lib.lib.keyward_find_principal_by_name, self._h(), _lib.enc(name))))

    def list_principals(self) -> List[Principal]:
        return [Principal._from(p) for p in json.loads(
            _lib.call_out(_lib.lib.keyward_list_principals, self._h()))]

    def list_credentials(self, principal_id: str) -> List[Credential]:
        return [Credential._from(c) for c in json.loads(_lib.call_out(
            _lib.lib.keyward_list_credentials, self._h(), _lib.enc(principal_id)))]

    def set_display_name(self, principal_id: str, display_name: str) -> None:
        _lib.call(_lib.lib.keyward_set_display_name, self._h(), _lib.enc(principal_id),
                  _lib.enc(display_name))

    # ---- registration ----
    def begin_registration(self, principal_id: str, kind: str = "passkey") -> CeremonyStart:
        return _start(_lib.call_out(_lib.lib.keyward_begin_registration, self._h(),
                                    _lib.enc(principal_id), _lib.enc(kind)))

    def finish_registration(self, ceremony_id: str, response: Json,
                            nickname: str = "") -> Credential:
        return Credential._from(json.loads(_lib.call_out(
            _lib.lib.keyward_finish_registration, self._h(), _lib.enc(ceremony_id),
            _lib.enc(json_text(response)), _lib.enc(nickname))))

    def enroll_certificate(self, principal_id: str, certificate: bytes,
                           intermediates: Sequence[bytes] = (), nickname: str = "") -> Credential:
        e = {"certificate_der": b64url(certificate),
             "intermediates_der": [b64url(c) for c in intermediates], "nickname": nickname}
        return Credential._from(json.loads(_lib.call_out(
            _lib.lib.keyward_enroll_certificate, self._h(), _lib.enc(principal_id),
            _lib.enc(json.dumps(e)))))

    # ---- login ----
    def begin_login(self, principal_id: Optional[str] = None, *,
                    step_up_to: Optional[str] = None,
                    kinds: Optional[Sequence[str]] = None) -> CeremonyStart:
        r: Dict[str, Any] = {}
        if principal_id is not None:
            r["principal_id"] = principal_id
        if step_up_to is not None:
            r["step_up_to"] = step_up_to
        if kinds:
            r["kinds"] = list(kinds)
        return _start(_lib.call_out(_lib.lib.keyward_begin_login, self._h(),
                                    _lib.enc(json.dumps(r))))

    def _login(self, fn, ceremony_id: str, payload: str, session: Optional[Session],
               context: Optional[Dict[str, Any]]) -> AuthResult:
        result = ctypes.c_void_p()
        new_session = ctypes.c_void_p()
        err = _lib.Error()
        rc = fn(self._h(), _lib.enc(ceremony_id), _lib.enc(payload),
                _lib.enc(json.dumps(context)) if context else None,
                _lib.enc(session.to_json()) if session is not None else None,
                ctypes.byref(result), ctypes.byref(new_session), ctypes.byref(err))
        text = _lib.take(result)
        session_text = _lib.take(new_session)
        if session is not None:
            session._update(session_text)
        _lib.raise_for(rc, err)
        return _auth_result(text)

    def finish_login(self, ceremony_id: str, response: Json, session: Optional[Session] = None,
                     context: Optional[Dict[str, Any]] = None) -> AuthResult:
        """Verifies the AuthenticationResponseJSON; `session` (updated in place, also when the
        login fails with step_up_required) and `context` ({ip, country, device_posture, time,
        action}) are optional."""
        return self._login(_lib.lib.keyward_finish_login, ceremony_id, json_text(response),
                           session, context)

    def finish_certificate_login(self, ceremony_id: str, certificate: bytes, signature: bytes,
                                 cose_alg: int = -7, pin_verified: bool = False,
                                 session: Optional[Session] = None,
                                 context: Optional[Dict[str, Any]] = None) -> AuthResult:
        e = {"certificate_der": b64url(certificate), "signature": b64url(signature),
             "cose_alg": cose_alg, "pin_verified": pin_verified}
        return self._login(_lib.lib.keyward_finish_certificate_login, ceremony_id, json.dumps(e),
                           session, context)

    def finish_verified_card_login(self, ceremony_id: str, certificate_fingerprint_sha256: str,
                                   assurance_level: str = "aal3", pin_verified: bool = True,
                                   session: Optional[Session] = None,
                                   context: Optional[Dict[str, Any]] = None) -> AuthResult:
        e = {"certificate_fingerprint_sha256": certificate_fingerprint_sha256,
             "assurance_level": assurance_level, "pin_verified": pin_verified}
        return self._login(_lib.lib.keyward_finish_verified_card_login, ceremony_id,
                           json.dumps(e), session, context)

    def authorize(self, session: Session, action: str) -> None:
        """Raises KeywardError step_up_required (session.pending_step_up says with what) or
        policy_denied."""
        out = ctypes.c_void_p()
        err = _lib.Error()
        rc = _lib.lib.keyward_authorize(self._h(), _lib.enc(session.to_json()), _lib.enc(action),
                                        ctypes.byref(out), ctypes.byref(err))
        session._update(_lib.take(out))
        _lib.raise_for(rc, err)

    # ---- administration ----
    def rename_credential(self, credential_id: bytes, nickname: str) -> None:
        _lib.call(_lib.lib.keyward_rename_credential, self._h(), _lib.enc(b64url(credential_id)),
                  _lib.enc(nickname))

    def remove_credential(self, credential_id: bytes) -> None:
        _lib.call(_lib.lib.keyward_remove_credential, self._h(), _lib.enc(b64url(credential_id)))

    def record_admin_action(self, action: str, subject: str, outcome: str = "ok",
                            details: Optional[Dict[str, Any]] = None) -> None:
        _lib.call(_lib.lib.keyward_record_admin_action, self._h(), _lib.enc(action),
                  _lib.enc(subject), _lib.enc(outcome),
                  _lib.enc(json.dumps(details)) if details is not None else None)

    # ---- privacy ----
    def export_principal(self, principal_id: str) -> Dict[str, Any]:
        return json.loads(_lib.call_out(_lib.lib.keyward_export_principal, self._h(),
                                        _lib.enc(principal_id)))

    def erase_principal(self, principal_id: str) -> None:
        _lib.call(_lib.lib.keyward_erase_principal, self._h(), _lib.enc(principal_id))

    # ---- audit ----
    def audit_tail(self, n: int = 0) -> List[str]:
        """The last n audit records as JSON lines (n == 0: all)."""
        return _lib.call_out(_lib.lib.keyward_audit_tail, self._h(), n).splitlines()

    def audit_verify(self) -> AuditVerification:
        d = json.loads(_lib.call_out(_lib.lib.keyward_audit_verify, self._h()))
        return AuditVerification(d["records"], d["head_hash"])


def audit_verify_lines(lines: Union[str, Sequence[str]]) -> AuditVerification:
    """Verifies exported audit JSON lines (audit_tail() or `keyward audit tail --all`)."""
    text = lines if isinstance(lines, str) else "".join(l + "\n" for l in lines)
    d = json.loads(_lib.call_out(_lib.lib.keyward_audit_verify_lines, _lib.enc(text)))
    return AuditVerification(d["records"], d["head_hash"])
