"""Every C++ ErrorCode comes through the C ABI and the binding with the same number and name."""
import re

import pytest

import keyward
from conftest import source_dir


def cxx_codes():
    text = (source_dir() / "include/keyward/error_codes.inc").read_text()
    return [(name, int(value)) for value, name in
            re.findall(r'^KW_ERROR\(\w+, (\d+), "(\w+)"\)', text, re.M)]


def test_error_list_equals_the_cxx_list():
    expected = cxx_codes()
    assert len(expected) > 150
    assert list(keyward.error_codes().items()) == expected


def test_error_enum_and_names():
    assert keyward.ErrorCode.CHALLENGE_MISMATCH == 202
    assert keyward.ErrorCode.INTERNAL == 900
    for name, code in cxx_codes():
        assert keyward.error_name(code) == name
        assert keyward.ErrorCode[name.upper()] == code
    assert keyward.error_name(0) == "ok"
    assert keyward.error_name(123456) == "unknown"


def test_keyward_error_carries_code_name_detail():
    with pytest.raises(keyward.KeywardError) as e:
        keyward.generate_authentication_options(rp_id="example.com", challenge=b"short")
    assert e.value.code == 227 and e.value.name == "options_invalid"
    assert "options_invalid" in str(e.value)


def test_library_identity():
    assert keyward.library_version()
    assert keyward.library_path
