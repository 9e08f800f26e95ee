"""Loading libkeyward-c and calling it: the only module that touches ctypes.

The library is found, in order, at $KEYWARD_LIBRARY (a path), through ctypes.util.find_library
("keyward-c": ldconfig's cache, the compiler's search path), then as "libkeyward-c.so.0" through
the dynamic loader (LD_LIBRARY_PATH, /etc/ld.so.conf, the standard directories). Every symbol
the binding uses is resolved at import: a library that lacks one is refused with ImportError.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from typing import Optional

from .errors import KeywardError

SONAME = "libkeyward-c.so.0"
DETAIL_SIZE = 256


class Error(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_int),
        ("native", ctypes.c_uint32),
        ("name", ctypes.c_char_p),
        ("detail", ctypes.c_char * DETAIL_SIZE),
    ]


class Assertion(ctypes.Structure):
    _fields_ = [
        ("sign_count", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("sign_count_regressed", ctypes.c_int),
        ("backup_state_changed", ctypes.c_int),
        ("appid_used", ctypes.c_int),
        ("credential_id_len", ctypes.c_size_t),
        ("credential_id", ctypes.c_uint8 * 1023),
        ("user_handle_len", ctypes.c_size_t),
        ("user_handle", ctypes.c_uint8 * 64),
    ]


_c = ctypes.c_char_p
_p = ctypes.c_void_p
_out = ctypes.POINTER(ctypes.c_void_p)
_err = ctypes.POINTER(Error)
_i = ctypes.c_int
CLOCK_FN = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p)

# name: (restype, argtypes)
_SIGNATURES = {
    "keyward_error_name": (_c, [_i]),
    "keyward_error_code_from_name": (_i, [_c]),
    "keyward_error_codes": (ctypes.c_size_t, [ctypes.POINTER(ctypes.c_int), ctypes.c_size_t]),
    "keyward_version": (_c, []),
    "keyward_c_abi_version": (_i, []),
    "keyward_string_free": (None, [_p]),
    "keyward_new_challenge": (_i, [_out, _err]),
    "keyward_creation_options": (_i, [_c, _out, _err]),
    "keyward_request_options": (_i, [_c, _out, _err]),
    "keyward_trust_new": (_i, [_out, _err]),
    "keyward_trust_free": (None, [_p]),
    "keyward_trust_add_directory": (_i, [_p, _c, _err]),
    "keyward_trust_add_file": (_i, [_p, _c, _err]),
    "keyward_trust_add_root_der": (_i, [_p, _c, ctypes.c_size_t, _err]),
    "keyward_trust_load_mds": (_i, [_p, _c, _err]),
    "keyward_trust_anchor_count": (ctypes.c_size_t, [_p]),
    "keyward_verify_registration": (_i, [_p, _c, _c, _out, _err]),
    "keyward_verify_authentication": (_i, [_c, _c, _out, _err]),
    "keyward_verify_authentication_struct": (_i, [_c, _c, ctypes.POINTER(Assertion), _err]),
    "keyward_verify_case": (_i, [_p, _c, _out, _err]),
    "keyward_authenticator_open": (_i, [_c, _p, _out, _err]),
    "keyward_authenticator_open_with_clock": (_i, [_c, _p, CLOCK_FN, _p, _out, _err]),
    "keyward_authenticator_close": (None, [_p]),
    "keyward_create_principal": (_i, [_p, _c, _c, _out, _err]),
    "keyward_get_principal": (_i, [_p, _c, _out, _err]),
    "keyward_find_principal_by_name": (_i, [_p, _c, _out, _err]),
    "keyward_list_principals": (_i, [_p, _out, _err]),
    "keyward_list_credentials": (_i, [_p, _c, _out, _err]),
    "keyward_begin_registration": (_i, [_p, _c, _c, _out, _err]),
    "keyward_finish_registration": (_i, [_p, _c, _c, _c, _out, _err]),
    "keyward_enroll_certificate": (_i, [_p, _c, _c, _out, _err]),
    "keyward_begin_login": (_i, [_p, _c, _out, _err]),
    "keyward_finish_login": (_i, [_p, _c, _c, _c, _c, _out, _out, _err]),
    "keyward_finish_certificate_login": (_i, [_p, _c, _c, _c, _c, _out, _out, _err]),
    "keyward_finish_verified_card_login": (_i, [_p, _c, _c, _c, _c, _out, _out, _err]),
    "keyward_authorize": (_i, [_p, _c, _c, _out, _err]),
    "keyward_set_display_name": (_i, [_p, _c, _c, _err]),
    "keyward_rename_credential": (_i, [_p, _c, _c, _err]),
    "keyward_remove_credential": (_i, [_p, _c, _err]),
    "keyward_record_admin_action": (_i, [_p, _c, _c, _c, _c, _err]),
    "keyward_export_principal": (_i, [_p, _c, _out, _err]),
    "keyward_erase_principal": (_i, [_p, _c, _err]),
    "keyward_audit_tail": (_i, [_p, ctypes.c_size_t, _out, _err]),
    "keyward_audit_verify": (_i, [_p, _out, _err]),
    "keyward_audit_verify_lines": (_i, [_c, _out, _err]),
}


def _candidates() -> list:
    env = os.environ.get("KEYWARD_LIBRARY")
    if env:
        return [env]  # an explicit choice is never second-guessed
    found = ctypes.util.find_library("keyward-c")
    return [c for c in (found, SONAME) if c]


def _load() -> tuple:
    tried = []
    for candidate in _candidates():
        try:
            lib = ctypes.CDLL(candidate)
        except OSError as e:
            tried.append(f"{candidate}: {e}")
            continue
        for name, (restype, argtypes) in _SIGNATURES.items():
            try:
                fn = getattr(lib, name)
            except AttributeError:
                raise ImportError(
                    f"keyward: {candidate} lacks the symbol {name}; install a libkeyward-c "
                    "matching this binding") from None
            fn.restype = restype
            fn.argtypes = argtypes
        return lib, candidate
    raise ImportError(
        "keyward: cannot load libkeyward-c (tried " + "; ".join(tried or ["nothing"]) +
        "). Install keyward's C library, or set KEYWARD_LIBRARY to the path of libkeyward-c.so.0")


lib, path = _load()


def enc(s: Optional[str]) -> Optional[bytes]:
    return None if s is None else s.encode("utf-8")


def take(out: ctypes.c_void_p) -> Optional[str]:
    """The string keyward returned in an out-parameter, freed after copying."""
    if not out.value:
        return None
    try:
        return ctypes.string_at(out.value).decode("utf-8")
    finally:
        lib.keyward_string_free(out.value)


def raise_for(rc: int, err: Error) -> None:
    if rc != 0:
        raise KeywardError(rc, (err.name or b"unknown").decode(), err.native,
                           err.detail.decode("utf-8", "replace"))


def call_out(fn, *args) -> str:
    """Calls an entry point whose last two parameters are (char** out, keyward_error* err)."""
    out = ctypes.c_void_p()
    err = Error()
    rc = fn(*args, ctypes.byref(out), ctypes.byref(err))
    text = take(out)
    raise_for(rc, err)
    return text


def call(fn, *args) -> None:
    """Calls an entry point whose last parameter is keyward_error* err."""
    err = Error()
    raise_for(fn(*args, ctypes.byref(err)), err)
