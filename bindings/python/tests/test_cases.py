"""The example cases (examples/cases/) and the 30 W3C WebAuthn L3 test vectors (tests/data/w3c/)
through the py_webauthn-style functions, with their expected verdicts and error codes; and the
same files through verify_case."""
import json

import pytest

import keyward
from keyward._util import unb64url
from conftest import source_dir

# Cases that must fail, with the stable code they fail with.
EXPECTED_FAILURES = {
    "03-wrong-challenge-authentication": "challenge_mismatch",
    # The spec's android-key vector has empty authorization lists (see the file's notes).
    "w3c-android-key-es256-reg": "android_key_authorization_invalid",
}


def case_files():
    root = source_dir()
    files = sorted((root / "examples/cases").glob("*.json")) + \
        sorted((root / "tests/data/w3c").glob("*.json"))
    return files


def test_all_cases_are_there():
    files = case_files()
    assert len([f for f in files if "/w3c/" in str(f)]) == 30
    assert len(files) == 33


def run(case):
    common = dict(credential=case["response"],
                  expected_challenge=unb64url(case["expected_challenge"]),
                  expected_origin=case["expected_origin"],
                  expected_rp_id=case["expected_rp_id"],
                  require_user_verification=case.get("require_user_verification", False),
                  allow_cross_origin=case.get("allow_cross_origin", False),
                  expected_top_origin=case.get("expected_top_origin"),
                  verify_at=case.get("verify_at"))
    if case["kind"] == "registration":
        anchor = case.get("attestation_trust_anchor_der")
        return keyward.verify_registration_response(
            **common, supported_pub_key_algs=case.get("pub_key_cred_params_algs"),
            attestation_trust_anchor_der=unb64url(anchor) if anchor else None)
    return keyward.verify_authentication_response(
        **common, credential_public_key=unb64url(case["credential_public_key"]),
        credential_current_sign_count=case.get("prior_sign_count", 0),
        expected_appid=case.get("expected_appid"))


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_case_through_the_binding(path):
    case = json.loads(path.read_text())
    if case["expect"] == "ok":
        result = run(case)
        assert result.credential_id == unb64url(case["response"]["rawId"])
        if case["kind"] == "registration":
            assert result.fmt == case["expected_fmt"]
            assert result.credential_public_key
            if "attestation_trust_anchor_der" in case:
                assert result.trust_status == "trusted", result.raw
    else:
        with pytest.raises(keyward.KeywardError) as e:
            run(case)
        want = EXPECTED_FAILURES[path.stem]
        assert e.value.name == want
        assert e.value.code == keyward.error_codes()[want]


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_case_through_verify_case(path):
    case = json.loads(path.read_text())
    v = keyward.verify_case(path.read_text())
    assert v.verified == (case["expect"] == "ok"), v.verdict
    if not v.verified:
        assert v.error.name == EXPECTED_FAILURES[path.stem]
        assert v.verdict["error"]["code"] == v.error.name


def test_registration_then_authentication_chain():
    """The stored key of a verified registration verifies the matching W3C assertion."""
    root = source_dir() / "tests/data/w3c"
    reg_case = json.loads((root / "w3c-packed-es256-reg.json").read_text())
    auth_case = json.loads((root / "w3c-packed-es256-auth.json").read_text())
    reg = run(reg_case)
    a = keyward.verify_authentication_response(
        credential=json.dumps(auth_case["response"]),
        expected_challenge=unb64url(auth_case["expected_challenge"]),
        expected_origin="https://example.org", expected_rp_id="example.org",
        credential_public_key=reg.credential_public_key,
        credential_current_sign_count=reg.sign_count)
    assert a.credential_id == reg.credential_id


def test_trust_store_gives_trusted_verdicts(tmp_path):
    case = json.loads((source_dir() / "examples/cases/01-packed-es256-registration.json")
                      .read_text())
    der = unb64url(case["attestation_trust_anchor_der"])
    with keyward.TrustStore() as trust:
        trust.add_root_der(der)
        assert trust.anchor_count == 1
        reg = keyward.verify_registration_response(
            credential=case["response"], expected_challenge=unb64url(case["expected_challenge"]),
            expected_origin=case["expected_origin"], expected_rp_id=case["expected_rp_id"],
            verify_at=case["verify_at"], trust=trust, attestation_policy="workforce")
        assert reg.trust_status == "trusted"
        with pytest.raises(keyward.KeywardError) as e:
            keyward.verify_registration_response(
                credential=case["response"],
                expected_challenge=unb64url(case["expected_challenge"]),
                expected_origin=case["expected_origin"], expected_rp_id=case["expected_rp_id"],
                verify_at=case["verify_at"], trust=trust, attestation_policy="workforce",
                aaguid_allow_list=["00000000-0000-0000-0000-000000000001"])
        assert e.value.name == "aaguid_not_allowed"
    (tmp_path / "root.der").write_bytes(der)
    t = keyward.TrustStore().add_file(str(tmp_path / "root.der"))
    assert t.anchor_count == 1
    with pytest.raises(keyward.KeywardError) as e:
        keyward.TrustStore().add_root_der(b"\x30\x00")
    assert e.value.name == "certificate_malformed"
    with pytest.raises(keyward.KeywardError) as e:
        keyward.TrustStore().load_mds(str(tmp_path / "missing.jwt"))
    assert e.value.name == "io_error"
