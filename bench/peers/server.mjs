// The peer of `keyward serve` in the login benchmark: SimpleWebAuthn in a Fastify server, cluster
// mode (2 workers by default), on a SQLite store (better-sqlite3, WAL).
//   node server.mjs --db PATH [--durability relaxed|full] [--workers 2] [--port 0]
// It answers the four routes of the FIDO2 conformance API that bench/serve/prepare_logins.py and
// walk_logins.lua drive (the same bodies keyward serve gets):
//   POST /attestation/options {username, displayName}   -> creation options, challenge stored
//   POST /attestation/result  RegistrationResponseJSON   -> credential stored
//   POST /assertion/options   {username}                 -> request options, challenge stored
//   POST /assertion/result    AuthenticationResponseJSON -> the login:
//     the challenge (from clientDataJSON) must be stored, unspent and unexpired; the credential
//     must belong to that challenge's user; verifyAuthenticationResponse; then ONE write
//     transaction: spend the challenge (DELETE, must hit one row), compare-and-set the counter,
//     append an audit row. Answers {"status":"ok","errorMessage":""} or 400 {"status":"failed"}.
// Durability: journal_mode=WAL with synchronous=NORMAL ("relaxed") or FULL ("full"), as keyward's
// SQLite store; busy_timeout 10 s (two processes write one file). Prints
// {"event":"ready","listen":"127.0.0.1:PORT"} once every worker listens.
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';

import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import Database from 'better-sqlite3';
import Fastify from 'fastify';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string' },
    durability: { type: 'string', default: 'relaxed' },
    workers: { type: 'string', default: '2' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
if (!args.db || !['relaxed', 'full'].includes(args.durability)) {
  console.error('usage: node server.mjs --db PATH [--durability relaxed|full] [--workers N]');
  process.exit(2);
}

const RP_ID = 'localhost';
const RP_NAME = 'keyward bench peer';
const ORIGIN = 'http://localhost:8080';
const CHALLENGE_TTL_MS = 300_000;

function openDb() {
  const db = new Database(args.db);
  db.pragma('busy_timeout = 10000');
  if (db.pragma('journal_mode = WAL', { simple: true }) !== 'wal') {
    throw new Error('cannot switch the store to WAL mode');
  }
  db.pragma(`synchronous = ${args.durability === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  return db;
}

if (cluster.isPrimary) {
  const db = openDb();
  db.exec(`
    CREATE TABLE IF NOT EXISTS users (
      id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS credentials (
      id TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
      public_key BLOB NOT NULL, counter INTEGER NOT NULL, transports TEXT NOT NULL,
      created_at INTEGER NOT NULL, last_used_at INTEGER);
    CREATE INDEX IF NOT EXISTS credentials_user ON credentials(user_id);
    CREATE TABLE IF NOT EXISTS challenges (
      challenge TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
      kind TEXT NOT NULL, expires_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS audit (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, event TEXT NOT NULL,
      user_id INTEGER, credential_id TEXT, outcome TEXT NOT NULL, ip TEXT);
  `);
  db.close();
  const n = Number(args.workers);
  let listening = 0;
  let reported = false;
  for (let i = 0; i < n; i++) cluster.fork();
  cluster.on('listening', (_worker, address) => {
    if (++listening === n && !reported) {
      reported = true;
      console.log(JSON.stringify({ event: 'ready', listen: `${args.host}:${address.port}` }));
    }
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!shuttingDown) {
      console.error(`worker ${worker.process.pid} exited (${code ?? signal})`);
      process.exitCode = 1;
    }
  });
  let shuttingDown = false;
  const stop = () => {
    shuttingDown = true;
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const db = openDb();
  const q = {
    userByName: db.prepare('SELECT id, name, display_name FROM users WHERE name = ?'),
    addUser: db.prepare('INSERT INTO users (name, display_name) VALUES (?, ?)'),
    credsOfUser: db.prepare('SELECT id, transports FROM credentials WHERE user_id = ?'),
    credential: db.prepare(
      'SELECT id, user_id, public_key, counter, transports FROM credentials WHERE id = ?'),
    addCredential: db.prepare(
      'INSERT INTO credentials (id, user_id, public_key, counter, transports, created_at) ' +
      'VALUES (?, ?, ?, ?, ?, ?)'),
    addChallenge: db.prepare(
      'INSERT INTO challenges (challenge, user_id, kind, expires_at) VALUES (?, ?, ?, ?)'),
    challenge: db.prepare(
      'SELECT user_id, expires_at FROM challenges WHERE challenge = ? AND kind = ?'),
    spendChallenge: db.prepare('DELETE FROM challenges WHERE challenge = ? AND kind = ?'),
    casCounter: db.prepare(
      'UPDATE credentials SET counter = ?, last_used_at = ? WHERE id = ? AND counter = ?'),
    audit: db.prepare(
      'INSERT INTO audit (at, event, user_id, credential_id, outcome, ip) VALUES (?, ?, ?, ?, ?, ?)'),
  };

  class Refused extends Error {}

  // The login's writes: one IMMEDIATE transaction (no lock upgrade between the two processes).
  const commitLogin = db.transaction((challenge, cred, newCounter, ip) => {
    const now = Date.now();
    if (q.spendChallenge.run(challenge, 'login').changes !== 1) {
      throw new Refused('challenge already spent');
    }
    if (q.casCounter.run(newCounter, now, cred.id, cred.counter).changes !== 1) {
      throw new Refused('counter changed concurrently');
    }
    q.audit.run(now, 'login', cred.user_id, cred.id, 'success', ip);
  }).immediate;

  const commitRegistration = db.transaction((challenge, userId, info) => {
    const now = Date.now();
    if (q.spendChallenge.run(challenge, 'registration').changes !== 1) {
      throw new Refused('challenge already spent');
    }
    q.addCredential.run(info.credential.id, userId, Buffer.from(info.credential.publicKey),
      info.credential.counter, JSON.stringify(info.credential.transports ?? []), now);
    q.audit.run(now, 'registration', userId, info.credential.id, 'success', null);
  }).immediate;

  const challengeOf = (body) => {
    const cd = body?.response?.clientDataJSON;
    if (typeof cd !== 'string') throw new Refused('no clientDataJSON');
    const c = JSON.parse(Buffer.from(cd, 'base64url').toString('utf8')).challenge;
    if (typeof c !== 'string') throw new Refused('no challenge');
    return c;
  };

  const openChallenge = (challenge, kind) => {
    const row = q.challenge.get(challenge, kind);
    if (!row || row.expires_at < Date.now()) throw new Refused('unknown or expired challenge');
    return row;
  };

  const ok = (extra = {}) => ({ status: 'ok', errorMessage: '', ...extra });

  const app = Fastify({ logger: false });
  app.setErrorHandler((err, _req, reply) => {
    reply.code(err instanceof Refused || err.statusCode === 400 ? 400 : 500)
      .send({ status: 'failed', errorMessage: String(err.message) });
  });

  app.post('/attestation/options', async (req) => {
    const { username, displayName } = req.body ?? {};
    if (typeof username !== 'string' || username.length < 1 || username.length > 64) {
      throw new Refused('username must be 1-64 characters');
    }
    let user = q.userByName.get(username);
    if (!user) {
      q.addUser.run(username, displayName || username);
      user = q.userByName.get(username);
    }
    const options = await generateRegistrationOptions({
      rpName: RP_NAME,
      rpID: RP_ID,
      userName: user.name,
      userDisplayName: user.display_name,
      attestationType: 'none',
      excludeCredentials: q.credsOfUser.all(user.id).map((c) => ({ id: c.id })),
    });
    q.addChallenge.run(options.challenge, user.id, 'registration', Date.now() + CHALLENGE_TTL_MS);
    return ok(options);
  });

  app.post('/attestation/result', async (req) => {
    const challenge = challengeOf(req.body);
    const row = openChallenge(challenge, 'registration');
    const info = await verifyRegistrationResponse({
      response: req.body,
      expectedChallenge: challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserVerification: false,
    });
    if (!info.verified) throw new Refused('registration not verified');
    commitRegistration(challenge, row.user_id, info.registrationInfo);
    return ok();
  });

  app.post('/assertion/options', async (req) => {
    const user = q.userByName.get(req.body?.username);
    if (!user) throw new Refused('unknown user');
    const options = await generateAuthenticationOptions({
      rpID: RP_ID,
      allowCredentials: q.credsOfUser.all(user.id).map((c) => ({
        id: c.id, transports: JSON.parse(c.transports),
      })),
      userVerification: 'preferred',
    });
    q.addChallenge.run(options.challenge, user.id, 'login', Date.now() + CHALLENGE_TTL_MS);
    return ok(options);
  });

  app.post('/assertion/result', async (req) => {
    const challenge = challengeOf(req.body);
    const row = openChallenge(challenge, 'login');
    const cred = q.credential.get(req.body.id);
    if (!cred || cred.user_id !== row.user_id) throw new Refused('credential not allowed');
    const result = await verifyAuthenticationResponse({
      response: req.body,
      expectedChallenge: challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential: {
        id: cred.id,
        publicKey: new Uint8Array(cred.public_key),
        counter: cred.counter,
        transports: JSON.parse(cred.transports),
      },
      requireUserVerification: false,
    });
    if (!result.verified) throw new Refused('assertion not verified');
    commitLogin(challenge, cred, result.authenticationInfo.newCounter, req.ip);
    return ok();
  });

  await app.listen({ port: Number(args.port), host: args.host });
  process.on('SIGTERM', async () => {
    await app.close();
    db.close();
    process.exit(0);
  });
}
