"""Small helpers: base64url without padding, JSON input accepted as str or dict."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Union

_TO_URL = bytes.maketrans(b"+/", b"-_")
_b2a = binascii.b2a_base64


def b64url(data: bytes) -> str:
    return _b2a(data, newline=False).translate(_TO_URL).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def json_text(value: Union[str, bytes, dict, list]) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return json.dumps(value, separators=(",", ":"))
