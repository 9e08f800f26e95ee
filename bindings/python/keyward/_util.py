"""Small helpers: base64url without padding, JSON input accepted as str or dict."""

from __future__ import annotations

import base64
import json
from typing import Union


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def json_text(value: Union[str, bytes, dict, list]) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return json.dumps(value, separators=(",", ":"))
