"""A software WebAuthn authenticator for the binding's tests: real P-256 keys from the
`cryptography` module (Debian python3-cryptography), real signatures, fmt "none"."""

from __future__ import annotations

import hashlib
import json
import os
import struct
from typing import Optional

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from keyward._util import b64url


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    if n < 0x100:
        return bytes([major << 5 | 24, n])
    if n < 0x10000:
        return bytes([major << 5 | 25]) + struct.pack(">H", n)
    return bytes([major << 5 | 26]) + struct.pack(">I", n)


def cbor(v) -> bytes:
    """Canonical CBOR for the few types WebAuthn structures use (map keys kept in given order:
    callers pass them canonically sorted)."""
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return _head(0, v) if v >= 0 else _head(1, -1 - v)
    if isinstance(v, bytes):
        return _head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return _head(3, len(b)) + b
    if isinstance(v, list):
        return _head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return _head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(type(v))


class SoftAuthenticator:
    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        nums = self.key.public_key().public_numbers()
        self.cose_key = cbor({1: 2, 3: -7, -1: 1, -2: nums.x.to_bytes(32, "big"),
                              -3: nums.y.to_bytes(32, "big")})

    @staticmethod
    def client_data(typ: str, challenge: bytes, origin: str) -> bytes:
        return json.dumps({"type": typ, "challenge": b64url(challenge), "origin": origin,
                           "crossOrigin": False}, separators=(",", ":")).encode()

    def register(self, challenge: bytes, rp_id: str = "example.com",
                 origin: str = "https://example.com", flags: int = 0x45) -> dict:
        auth_data = (hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) +
                     struct.pack(">I", 0) + bytes(16) +
                     struct.pack(">H", len(self.credential_id)) + self.credential_id +
                     self.cose_key)
        att = cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        cid = b64url(self.credential_id)
        return {"id": cid, "rawId": cid, "type": "public-key",
                "response": {"clientDataJSON": b64url(self.client_data("webauthn.create",
                                                                       challenge, origin)),
                             "attestationObject": b64url(att), "transports": ["usb"]},
                "authenticatorAttachment": "cross-platform", "clientExtensionResults": {}}

    def assert_(self, challenge: bytes, rp_id: str = "example.com",
                origin: str = "https://example.com", flags: int = 0x05, sign_count: int = 1,
                user_handle: Optional[bytes] = None) -> dict:
        auth_data = (hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) +
                     struct.pack(">I", sign_count))
        cdj = self.client_data("webauthn.get", challenge, origin)
        sig = self.key.sign(auth_data + hashlib.sha256(cdj).digest(), ec.ECDSA(hashes.SHA256()))
        cid = b64url(self.credential_id)
        resp = {"clientDataJSON": b64url(cdj), "authenticatorData": b64url(auth_data),
                "signature": b64url(sig)}
        if user_handle is not None:
            resp["userHandle"] = b64url(user_handle)
        return {"id": cid, "rawId": cid, "type": "public-key", "response": resp,
                "clientExtensionResults": {}}
