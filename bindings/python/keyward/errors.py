"""KeywardError: every failure of the binding, with keyward's stable error number and name."""

from __future__ import annotations


class KeywardError(Exception):
    """A refusal or failure reported by keyward.

    code:   the stable error number (the C++ keyward::ErrorCode value), e.g. 202
    name:   the stable snake_case name, e.g. "challenge_mismatch" (match on this or on code)
    native: the lower layer's code (0 when none; the required AAL for step_up_required)
    detail: a human explanation; never a secret, not part of the contract
    """

    def __init__(self, code: int, name: str, native: int = 0, detail: str = ""):
        super().__init__(f"{name} ({code})" + (f": {detail}" if detail else ""))
        self.code = code
        self.name = name
        self.native = native
        self.detail = detail
