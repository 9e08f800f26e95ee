"""Options and fresh ceremonies from a software authenticator (python3-cryptography), with every
rejection asserting its stable code."""
import json

import pytest

import keyward
from softauth import SoftAuthenticator

RP = "example.com"
ORIGIN = "https://example.com"


def code_of(fn, **kw):
    with pytest.raises(keyward.KeywardError) as e:
        fn(**kw)
    assert e.value.code == keyward.error_codes()[e.value.name]
    return e.value.name


def test_registration_options():
    o = keyward.generate_registration_options(rp_id=RP, rp_name="Example", user_name="alice",
                                              supported_pub_key_algs=[-7, -257],
                                              resident_key="required",
                                              exclude_credentials=[b"\x01\x02"])
    d = o.to_dict()
    assert d["rp"]["id"] == RP and d["user"]["name"] == "alice"
    assert len(o.challenge) == 32 and keyward.options_to_json(o) == o.json
    assert [p["alg"] for p in d["pubKeyCredParams"]] == [-7, -257]
    assert d["excludeCredentials"][0]["id"] == "AQI"
    given = keyward.generate_authentication_options(rp_id=RP, challenge=b"\x07" * 32,
                                                    allow_credentials=[{"id": b"\x01",
                                                                        "transports": ["usb"]}])
    assert given.challenge == b"\x07" * 32
    assert given.to_dict()["allowCredentials"][0]["transports"] == ["usb"]
    assert code_of(keyward.generate_registration_options, rp_id=RP, user_name="a",
                   user_id=b"") == "options_invalid"
    assert code_of(keyward.generate_authentication_options, rp_id=RP,
                   user_verification="always") == "options_invalid"


@pytest.fixture
def registered():
    a = SoftAuthenticator()
    challenge = keyward.new_challenge()
    reg = keyward.verify_registration_response(
        credential=a.register(challenge), expected_challenge=challenge, expected_origin=ORIGIN,
        expected_rp_id=RP, require_user_verification=True)
    return a, reg


def test_registration(registered):
    a, reg = registered
    assert reg.credential_id == a.credential_id
    assert reg.credential_public_key == a.cose_key
    assert reg.fmt == "none" and reg.user_verified and reg.transports == ["usb"]
    assert reg.credential_device_type == "single_device"
    assert reg.authenticator_attachment == "cross-platform"


def test_registration_rejections():
    a = SoftAuthenticator()
    ch = keyward.new_challenge()
    base = dict(credential=a.register(ch), expected_challenge=ch, expected_origin=ORIGIN,
                expected_rp_id=RP)
    f = keyward.verify_registration_response
    assert code_of(f, **{**base, "expected_challenge": b"\x00" * 32}) == "challenge_mismatch"
    assert code_of(f, **{**base, "expected_origin": "https://evil.example"}) == "origin_mismatch"
    assert code_of(f, **{**base, "expected_rp_id": "other.example"}) == "rp_id_hash_mismatch"
    assert code_of(f, **{**base, "supported_pub_key_algs": [-8]}) == "algorithm_not_allowed"
    no_uv = a.register(ch, flags=0x41)
    assert code_of(f, **{**base, "credential": no_uv,
                         "require_user_verification": True}) == "user_not_verified"
    no_up = a.register(ch, flags=0x44)
    assert code_of(f, **{**base, "credential": no_up}) == "user_not_present"
    assert code_of(f, **{**base, "credential": "{"}) == "json_malformed"
    assert code_of(f, **{**base, "credential": {}}) == "response_malformed"
    assert code_of(f, **{**base, "attestation_policy": "workforce"}) == "invalid_argument"
    assert code_of(f, **{**base, "verify_at": "tomorrow"}) == "invalid_argument"


def test_authentication(registered):
    a, reg = registered
    ch = keyward.new_challenge()
    v = keyward.verify_authentication_response(
        credential=json.dumps(a.assert_(ch, sign_count=5)), expected_challenge=ch,
        expected_rp_id=RP, expected_origin=[ORIGIN], credential_public_key=reg.credential_public_key,
        credential_current_sign_count=reg.sign_count, require_user_verification=True)
    assert v.new_sign_count == 5 and v.user_verified and not v.sign_count_regressed
    assert v.credential_id == a.credential_id and v.user_handle is None
    assert v.credential_device_type == "single_device" and not v.backup_state
    # Discoverable: the owner's user handle comes back.
    d = keyward.verify_authentication_response(
        credential=a.assert_(ch, sign_count=6, user_handle=b"\x01\x02", flags=0x1d),
        expected_challenge=ch, expected_rp_id=RP, expected_origin=ORIGIN,
        credential_public_key=reg.credential_public_key, allow_credentials=[],
        user_handle=b"\x01\x02")
    assert d.user_handle == b"\x01\x02" and d.backup_eligible and d.backup_state
    assert d.credential_device_type == "multi_device" and d.credential_backed_up


def test_authentication_rejections(registered):
    a, reg = registered
    ch = keyward.new_challenge()
    base = dict(credential=a.assert_(ch, sign_count=5), expected_challenge=ch,
                expected_rp_id=RP, expected_origin=ORIGIN,
                credential_public_key=reg.credential_public_key)
    f = keyward.verify_authentication_response
    assert code_of(f, **{**base, "expected_challenge": keyward.new_challenge()}) == \
        "challenge_mismatch"
    assert code_of(f, **{**base, "expected_origin": "https://evil.example"}) == "origin_mismatch"
    assert code_of(f, **{**base, "expected_rp_id": "evil.example"}) == "rp_id_hash_mismatch"
    assert code_of(f, **{**base, "credential_current_sign_count": 9}) == "sign_count_regression"
    flagged = f(**{**base, "credential_current_sign_count": 9, "sign_count_policy": "flag"})
    assert flagged.sign_count_regressed
    assert code_of(f, **{**base, "credential_public_key": SoftAuthenticator().cose_key}) == \
        "assertion_signature_invalid"
    assert code_of(f, **{**base, "allow_credentials": [b"\x00" * 16]}) == "credential_not_allowed"
    assert code_of(f, **{**base, "credential": a.assert_(ch, flags=0x01),
                         "require_user_verification": True}) == "user_not_verified"
    assert code_of(f, **{**base, "credential": a.assert_(ch, flags=0x00)}) == "user_not_present"
    assert code_of(f, **{**base, "allow_credentials": [],
                         "user_handle": b"\x01"}) == "user_handle_missing"
    assert code_of(f, **{**base, "credential": a.assert_(ch, user_handle=b"\x02"),
                         "allow_credentials": [], "user_handle": b"\x01"}) == \
        "user_handle_mismatch"
    assert code_of(f, **{**base, "prior_backup_eligible": True}) == "backup_eligibility_changed"
    assert code_of(f, **{**base, "credential_public_key": b"\x01\x02"}) == "key_malformed"
    assert code_of(f, **{**base, "credential": "[]"}) == "response_malformed"
    assert code_of(f, **{**base, "sign_count_policy": "ignore"}) == "invalid_argument"
    reg_response = a.register(ch)
    assert code_of(f, **{**base, "credential": reg_response}) == "response_malformed"
