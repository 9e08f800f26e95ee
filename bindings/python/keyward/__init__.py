"""keyward: WebAuthn relying-party verification and a unified authenticator, over keyward's
C ABI (libkeyward-c.so.0, loaded with ctypes; see keyward._lib for how it is found).

Failures raise KeywardError with keyward's stable error number (.code) and name (.name);
ErrorCode lists them all (ErrorCode.CHALLENGE_MISMATCH == 202).
"""

from __future__ import annotations

import ctypes
import enum

from . import _lib
from .authenticator import (AuditVerification, Authenticator, AuthResult, CeremonyStart,
                            Credential, Principal, Session, audit_verify_lines)
from .errors import KeywardError
from .webauthn import (CaseVerdict, Options, TrustStore, VerifiedAuthentication,
                       VerifiedRegistration, generate_authentication_options,
                       generate_registration_options, new_challenge, options_to_json,
                       verify_authentication_response, verify_case, verify_registration_response)

__version__ = "0.1.0"
library_path = _lib.path


def library_version() -> str:
    """The version of the loaded libkeyward-c."""
    return _lib.lib.keyward_version().decode()


def error_codes() -> dict:
    """{stable name: number} for every error code the loaded library knows, in its order."""
    n = _lib.lib.keyward_error_codes(None, 0)
    buf = (ctypes.c_int * n)()
    _lib.lib.keyward_error_codes(buf, n)
    return {_lib.lib.keyward_error_name(c).decode(): c for c in buf}


def error_name(code: int) -> str:
    return _lib.lib.keyward_error_name(code).decode()


ErrorCode = enum.IntEnum("ErrorCode", {k.upper(): v for k, v in error_codes().items()})

__all__ = [
    "AuditVerification", "AuthResult", "Authenticator", "CaseVerdict", "CeremonyStart",
    "Credential", "ErrorCode", "KeywardError", "Options", "Principal", "Session", "TrustStore",
    "VerifiedAuthentication", "VerifiedRegistration", "audit_verify_lines", "error_codes",
    "error_name", "generate_authentication_options", "generate_registration_options",
    "library_path", "library_version", "new_challenge", "options_to_json",
    "verify_authentication_response", "verify_case", "verify_registration_response",
]
