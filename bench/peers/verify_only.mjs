// SimpleWebAuthn's bare verification, in process: verifyAuthenticationResponse on one ES256
// assertion, one call after another (the floor of the peer, as BM_VerifyAssertionBare is
// keyward's). Prints the line bench/peers/run.sh records:
//   logins: ok=N failed=0 exhausted=0 seconds=S ok_per_s=R p50_us=X p99_us=Y cpu_us=C
//   node verify_only.mjs [ITERATIONS]   (default 5000, after 500 warm-up calls)
import { createHash, generateKeyPairSync, sign } from 'node:crypto';

import { verifyAuthenticationResponse } from '@simplewebauthn/server';

const iterations = Number(process.argv[2] ?? 5000);
const RP_ID = 'localhost';
const ORIGIN = 'http://localhost:8080';
const b64 = (b) => Buffer.from(b).toString('base64url');

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = publicKey.export({ format: 'jwk' });
// COSE_Key {1: 2, 3: -7, -1: 1, -2: x, -3: y}, CBOR by hand (a map of 5 small entries).
const x = Buffer.from(jwk.x, 'base64url');
const y = Buffer.from(jwk.y, 'base64url');
const cose = Buffer.concat([
  Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]), x,
  Buffer.from([0x22, 0x58, 0x20]), y,
]);
const credentialId = b64(Buffer.alloc(32, 7));
const challenge = b64(Buffer.alloc(32, 0x11));
const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge, origin: ORIGIN }));
const authData = Buffer.concat([createHash('sha256').update(RP_ID).digest(), Buffer.from([0x05, 0, 0, 0, 0])]);
const signature = sign('sha256', Buffer.concat([authData, createHash('sha256').update(clientData).digest()]), privateKey);
const response = {
  id: credentialId, rawId: credentialId, type: 'public-key', clientExtensionResults: {},
  response: { clientDataJSON: b64(clientData), authenticatorData: b64(authData), signature: b64(signature) },
};
const opts = {
  response, expectedChallenge: challenge, expectedOrigin: ORIGIN, expectedRPID: RP_ID,
  credential: { id: credentialId, publicKey: new Uint8Array(cose), counter: 0 },
  requireUserVerification: false,
};

for (let i = 0; i < 500; i++) await verifyAuthenticationResponse(opts);
const us = [];
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
for (let i = 0; i < iterations; i++) {
  const s = process.hrtime.bigint();
  const r = await verifyAuthenticationResponse(opts);
  us.push(Number(process.hrtime.bigint() - s) / 1000);
  if (!r.verified) throw new Error('not verified');
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
us.sort((a, b) => a - b);
console.log(`logins: ok=${iterations} failed=0 exhausted=0 seconds=${seconds.toFixed(2)} ` +
  `ok_per_s=${(iterations / seconds).toFixed(0)} p50_us=${us[us.length >> 1].toFixed(0)} ` +
  `p99_us=${us[Math.floor(us.length * 0.99)].toFixed(0)} ` +
  `cpu_us=${((cpu.user + cpu.system) / iterations).toFixed(0)}`);
