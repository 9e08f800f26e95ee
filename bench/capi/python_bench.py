#!/usr/bin/python3
"""ES256 assertion verification from a JSON response, in one run, side by side:
  - keyward's Python binding (keyward.verify_authentication_response: ctypes → libkeyward-c),
  - the same call in C++ and through the C ABI from C (bench_capi_module.so, loaded with ctypes;
    each round runs its own loop of calls inside C++, so no Python cost is counted there),
  - Yubico's python-fido2 server (Fido2Server.authenticate_complete, Debian python3-fido2 0.9.1),
    including its JSON/base64 decoding of the response, as a server must do.
One fresh P-256 credential and assertion (python3-cryptography) serve all of them; the four are
interleaved round by round in one process. Times are CPU time of the measuring thread (the
machine is shared); run pinned: taskset -c 1 /usr/bin/python3 bench/capi/python_bench.py

usage: python_bench.py [--module build/lib/bench_capi_module.so] [--rounds 7] [--iterations 2000]
Needs keyward importable (PYTHONPATH=bindings/python) and its library (KEYWARD_LIBRARY=...).
"""

import argparse
import base64
import json
import os
import pathlib
import statistics
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "bindings/python/tests"))  # the tests' software authenticator

import keyward  # noqa: E402
from softauth import SoftAuthenticator  # noqa: E402

RP, ORIGIN = "example.com", "https://example.com"


def per_call_us(fn, iterations):
    t0 = time.thread_time_ns()
    for _ in range(iterations):
        fn()
    return (time.thread_time_ns() - t0) / iterations / 1000


def websafe_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--module", default=str(ROOT / "build/lib/bench_capi_module.so"))
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--iterations", type=int, default=2000)
    args = ap.parse_args()

    key = SoftAuthenticator()
    challenge = os.urandom(32)
    response = json.dumps(key.assert_(challenge, sign_count=1), separators=(",", ":"))
    pk = key.cose_key

    # keyward through the binding.
    def binding():
        keyward.verify_authentication_response(
            credential=response, expected_challenge=challenge, expected_rp_id=RP,
            expected_origin=ORIGIN, credential_public_key=pk)

    # python-fido2 0.9.1 with the same credential.
    from fido2 import cbor
    from fido2.client import ClientData
    from fido2.ctap2 import AttestedCredentialData, AuthenticatorData
    from fido2.server import Fido2Server
    from fido2.webauthn import PublicKeyCredentialRpEntity
    server = Fido2Server(PublicKeyCredentialRpEntity(RP, "Example"))
    creds = [AttestedCredentialData.create(bytes(16), key.credential_id, cbor.decode(pk))]
    state = {"challenge": base64.urlsafe_b64encode(challenge).rstrip(b"=").decode(),
             "user_verification": "preferred"}

    def fido2():
        r = json.loads(response)
        rr = r["response"]
        server.authenticate_complete(
            state, creds, websafe_decode(r["rawId"]),
            ClientData(websafe_decode(rr["clientDataJSON"])),
            AuthenticatorData(websafe_decode(rr["authenticatorData"])),
            websafe_decode(rr["signature"]))

    import ctypes
    mod = ctypes.CDLL(args.module)
    for fn in (mod.bench_capi_cxx_us, mod.bench_capi_c_abi_us):
        fn.restype = ctypes.c_double
        fn.argtypes = [ctypes.c_char_p, ctypes.c_int]
    bench_input = json.dumps({"response": json.loads(response), "expectations": {
        "expected_challenge": base64.urlsafe_b64encode(challenge).rstrip(b"=").decode(),
        "expected_rp_id": RP, "expected_origin": ORIGIN,
        "credential_public_key": base64.urlsafe_b64encode(pk).rstrip(b"=").decode()}}).encode()

    binding()
    fido2()  # both accept it before anything is timed
    for _ in range(args.iterations // 10):
        binding()
        fido2()
    mod.bench_capi_cxx_us(bench_input, args.iterations // 10)
    mod.bench_capi_c_abi_us(bench_input, args.iterations // 10)
    c, a, b, f = [], [], [], []
    for _ in range(args.rounds):
        c.append(mod.bench_capi_cxx_us(bench_input, args.iterations))
        a.append(mod.bench_capi_c_abi_us(bench_input, args.iterations))
        b.append(per_call_us(binding, args.iterations))
        f.append(per_call_us(fido2, args.iterations // 4))
    cxx, capi = statistics.median(c), statistics.median(a)
    ratios = [y / x for x, y in zip(c, b)]

    mb, mf = statistics.median(b), statistics.median(f)
    print(f"ES256 assertion from its JSON response, CPU time per call, {args.rounds} rounds "
          f"(median [min-max]); library {keyward.library_path}")
    print(f"  C++ VerifyAuthenticationResponseJson     {cxx:6.1f} us [{min(c):.1f}-{max(c):.1f}]")
    print(f"  C ABI keyward_verify_authentication      {capi:6.1f} us [{min(a):.1f}-{max(a):.1f}]   "
          f"{capi / cxx:.3f}x C++ (target < 1.10)")
    print(f"  Python keyward binding                   {mb:6.1f} us [{min(b):.1f}-{max(b):.1f}]   "
          f"{mb / cxx:.3f}x C++, per-round ratios {min(ratios):.3f}-{max(ratios):.3f} "
          "(target <= 1.15)")
    print(f"  python-fido2 0.9.1 authenticate_complete {mf:6.1f} us [{min(f):.1f}-{max(f):.1f}]   "
          f"{mf / mb:.2f}x the binding")


if __name__ == "__main__":
    main()
