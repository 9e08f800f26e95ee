#!/usr/bin/python3
"""Prepares N distinct pre-signed logins for `keyward serve`'s POST /assertion/result.

Registers one ES256 credential through the conformance API (/attestation/options + result, fmt
"none"), asks /assertion/options N times (N distinct challenges, all open), signs each with the
credential key (sign count 1..N), and writes one AuthenticationResponse JSON per line to OUT.
Usage: prepare_logins.py PORT N OUT [CONNECTIONS]   (Debian python3-fido2 for CBOR,
python3-cryptography). CONNECTIONS (default 8) parallel keep-alive connections ask for the
challenges (the server is the slow part of preparing; the order of the lines does not matter).
"""
import base64, hashlib, http.client, json, os, struct, sys, threading
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2 import cbor

port, n, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
parallel = int(sys.argv[4]) if len(sys.argv) > 4 else 8
origin, rp_id = "http://localhost:8080", "localhost"
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
unb64 = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

def post(path, body, conn=conn):
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    r = conn.getresponse()
    data = json.loads(r.read())
    if r.status != 200:
        raise SystemExit(f"{path}: {r.status} {data}")
    return data

key = ec.generate_private_key(ec.SECP256R1())
nums = key.public_key().public_numbers()
cose = cbor.encode({1: 2, 3: -7, -1: 1, -2: nums.x.to_bytes(32, "big"), -3: nums.y.to_bytes(32, "big")})
cred_id = os.urandom(32)
rp_hash = hashlib.sha256(rp_id.encode()).digest()
opts = post("/attestation/options", {"username": "bench", "displayName": "Bench",
                                      "attestation": "none"})
client = json.dumps({"type": "webauthn.create", "challenge": opts["challenge"],
                     "origin": origin}).encode()
auth_data = rp_hash + bytes([0x45]) + struct.pack(">I", 0) + bytes(16) + \
    struct.pack(">H", len(cred_id)) + cred_id + cose
att = cbor.encode({"fmt": "none", "attStmt": {}, "authData": auth_data})
post("/attestation/result", {"id": b64(cred_id), "rawId": b64(cred_id), "type": "public-key",
                             "response": {"clientDataJSON": b64(client),
                                          "attestationObject": b64(att)},
                             "clientExtensionResults": {}})
lines = [None] * n
errors = []


def sign_slice(first):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for i in range(first, n, parallel):
            o = post("/assertion/options", {"username": "bench"}, c)
            cd = json.dumps({"type": "webauthn.get", "challenge": o["challenge"],
                             "origin": origin}).encode()
            ad = rp_hash + bytes([0x05]) + struct.pack(">I", 0)  # both-zero: order-free under load
            sig = key.sign(ad + hashlib.sha256(cd).digest(), ec.ECDSA(hashes.SHA256()))
            lines[i] = json.dumps({"id": b64(cred_id), "rawId": b64(cred_id), "type": "public-key",
                                   "response": {"clientDataJSON": b64(cd),
                                                "authenticatorData": b64(ad),
                                                "signature": b64(sig)},
                                   "clientExtensionResults": {}})
    except BaseException as e:  # SystemExit from post() included
        errors.append(e)


workers = [threading.Thread(target=sign_slice, args=(t,)) for t in range(parallel)]
for w in workers:
    w.start()
for w in workers:
    w.join()
if errors:
    raise SystemExit(f"prepare_logins: {errors[0]}")
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
