"""The unified authenticator through the binding, on a real SQLite file: principals,
registration, login with sessions, step-up, replay, expiry, administration, privacy and audit."""
import pytest

import keyward
from softauth import SoftAuthenticator

RP = "example.com"
ORIGIN = "https://example.com"


def code_of(fn, *a, **kw):
    with pytest.raises(keyward.KeywardError) as e:
        fn(*a, **kw)
    assert e.value.code == keyward.error_codes()[e.value.name]
    return e.value.name


@pytest.fixture
def auth(tmp_path):
    with keyward.Authenticator(db_path=str(tmp_path / "k.db"), rp_id=RP, origins=[ORIGIN],
                               rp_name="Example") as a:
        yield a


def register(auth, pid, key, kind="passkey", flags=0x45):
    start = auth.begin_registration(pid, kind)
    assert start.options["rp"]["id"] == RP
    return auth.finish_registration(start.ceremony_id, key.register(start.challenge, flags=flags),
                                    "my key")


def test_open_errors(tmp_path):
    assert code_of(keyward.Authenticator, db_path=str(tmp_path / "x.db"), rp_id=RP,
                   origins=[ORIGIN], policy={"extends": "ciam", "unused_days": "x"}) == \
        "config_invalid"
    assert code_of(keyward.Authenticator, db_path="/nonexistent/dir/x.db", rp_id=RP,
                   origins=[ORIGIN]) == "store_io"
    a = keyward.Authenticator(db_path=str(tmp_path / "y.db"), rp_id=RP, origins=[ORIGIN])
    a.close()
    with pytest.raises(ValueError):
        a.list_principals()
    with keyward.Authenticator(db_path=str(tmp_path / "z.db"), rp_id=RP, origins=[ORIGIN]) as b:
        b.create_principal("x")
    assert b._handle is None  # the context manager closed it


def test_principals(auth):
    p = auth.create_principal("alice", "Alice")
    assert p.id.startswith("p_") and len(p.user_handle) == 32
    assert auth.get_principal(p.id) == p
    assert auth.find_principal_by_name("alice") == p
    assert [x.id for x in auth.list_principals()] == [p.id]
    auth.set_display_name(p.id, "Alice E.")
    assert auth.get_principal(p.id).display_name == "Alice E."
    assert code_of(auth.get_principal, "p_missing") == "not_found"
    assert code_of(auth.create_principal, "") == "invalid_argument"
    assert code_of(auth.set_display_name, p.id, "x" * 300) == "invalid_argument"


def test_registration_login_session_and_step_up(auth):
    p = auth.create_principal("alice", "Alice")
    key = SoftAuthenticator()
    cred = register(auth, p.id, key)
    assert cred.id == key.credential_id and cred.public_key == key.cose_key
    assert [c.id for c in auth.list_credentials(p.id)] == [key.credential_id]
    assert code_of(auth.begin_registration, p.id, "smart_card") == "invalid_argument"
    assert code_of(auth.finish_registration, "AAAA", "{}") == "challenge_unknown"

    # Login without UV: AAL1; the session follows.
    session = keyward.Session()
    start = auth.begin_login(p.id)
    r = auth.finish_login(start.ceremony_id, key.assert_(start.challenge, flags=0x01,
                                                         sign_count=1), session,
                          context={"ip": "192.0.2.7", "country": "DE"})
    assert r.aal == "aal1" and r.principal_id == p.id and r.credential_id == key.credential_id
    assert session.principal_id == p.id and session.aal == "aal1"
    # Replay of the same answer.
    assert code_of(auth.finish_login, start.ceremony_id,
                   key.assert_(start.challenge, flags=0x01, sign_count=2), session) == \
        "challenge_replayed"
    # payment needs AAL2: step-up required, recorded in the session.
    with pytest.raises(keyward.KeywardError) as e:
        auth.authorize(session, "payment")
    assert e.value.name == "step_up_required" and e.value.native == 2
    assert session.pending_step_up["required_aal"] == "aal2"
    # The session survives storage as JSON.
    session = keyward.Session.from_json(session.to_json())
    # Step up with UV.
    start = auth.begin_login(p.id, step_up_to="aal2")
    r = auth.finish_login(start.ceremony_id, key.assert_(start.challenge, sign_count=3), session)
    assert r.aal == "aal2" and session.aal == "aal2" and session.pending_step_up is None
    auth.authorize(session, "payment")
    assert code_of(auth.authorize, keyward.Session(), "payment") == "policy_denied"
    assert code_of(auth.begin_login, p.id, step_up_to="aal3") == "policy_denied"

    # Rejections.
    start = auth.begin_login(p.id)
    assert code_of(auth.finish_login, start.ceremony_id,
                   key.assert_(start.challenge, sign_count=1)) == "policy_denied"  # clone
    start = auth.begin_login(p.id)
    assert code_of(auth.finish_login, start.ceremony_id,
                   key.assert_(start.challenge, sign_count=10),
                   context={"time": 4102444800}) == "challenge_expired"
    start = auth.begin_login(p.id)
    assert code_of(auth.finish_login, start.ceremony_id,
                   key.assert_(keyward.new_challenge(), sign_count=11)) == "challenge_mismatch"
    start = auth.begin_login()
    assert code_of(auth.finish_login, start.ceremony_id,
                   SoftAuthenticator().assert_(start.challenge)) == "not_found"
    start = auth.begin_login()
    r = auth.finish_login(start.ceremony_id,
                          key.assert_(start.challenge, sign_count=12, user_handle=p.user_handle))
    assert r.principal_id == p.id
    assert code_of(auth.enroll_certificate, p.id, b"\x30\x00") == "policy_denied"


def test_administration_privacy_and_audit(auth):
    p = auth.create_principal("bob", "Bob")
    key = SoftAuthenticator()
    register(auth, p.id, key)
    auth.rename_credential(key.credential_id, "office key")
    assert auth.list_credentials(p.id)[0].nickname == "office key"
    assert code_of(auth.rename_credential, b"\x00" * 8, "x") == "not_found"
    auth.record_admin_action("card.pin.change", "guid:1", "ok", {"reader": "r"})
    assert code_of(auth.record_admin_action, "card.pin.change", "guid:1", "ok",
                   {"pin": "123456"}) == "invalid_argument"

    lines = auth.audit_tail()
    assert len(lines) >= 3 and all('"hash"' in l for l in lines)
    assert len(auth.audit_tail(2)) == 2
    v = auth.audit_verify()
    assert v.records == len(lines) and len(v.head_hash) == 64
    assert keyward.audit_verify_lines(lines).head_hash == v.head_hash
    tampered = list(lines)
    tampered[1] = tampered[1].replace('"outcome":"success"', '"outcome":"SUCCESS"')
    assert tampered != lines
    with pytest.raises(keyward.KeywardError) as e:
        keyward.audit_verify_lines(tampered)
    assert e.value.name == "audit_chain_broken" and e.value.native == 2

    doc = auth.export_principal(p.id)
    assert doc["principal"]["name"] == "bob"
    auth.remove_credential(key.credential_id)
    assert code_of(auth.remove_credential, key.credential_id) == "not_found"
    auth.erase_principal(p.id)
    assert code_of(auth.export_principal, p.id) == "not_found"
    assert auth.audit_verify().records > v.records


def test_clock_and_trust(tmp_path):
    now = [1800000000]
    trust = keyward.TrustStore()
    with keyward.Authenticator(db_path=str(tmp_path / "c.db"), rp_id=RP, origins=[ORIGIN],
                               clock=lambda: now[0], trust=trust,
                               store_relaxed_durability=True) as a:
        trust.close()  # the authenticator keeps its own snapshot
        p = a.create_principal("carol")
        assert p.created_at == 1800000000
        start = a.begin_registration(p.id, "security_key")
        assert start.expires_at == 1800000300
        now[0] += 301
        assert code_of(a.finish_registration, start.ceremony_id,
                       SoftAuthenticator().register(start.challenge)) == "challenge_expired"
