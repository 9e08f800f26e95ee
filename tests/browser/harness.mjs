// Test harness for the passkey page: Debian Chromium (headless, off the network) driven over the
// DevTools protocol by playwright-core, with the CDP WebAuthn virtual authenticator.
//
// Host names: the page is reached as https://<rp host>, https://<related host> and
// https://<foreign host>; --host-resolver-rules maps each name's port 443 to the server's real
// 127.0.0.1:PORT, so origins in the server config carry no port and the server can listen on
// port 0. The server's TLS certificate is issued by a test CA made in the CI stage; Chromium is
// told to accept exactly that key (--ignore-certificate-errors-spki-list).
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.KW_CHROMIUM || '/usr/bin/chromium';

// The flags of /work/shared/notes/test-stacks.md: no background traffic off the machine.
export const BASE_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// `hosts` map to `port`; `others` ([[host, port], ...]) to servers of their own.
export async function launch({ port, hosts, spki, others = [] }) {
  const args = [...BASE_FLAGS];
  if (port && hosts && hosts.length) {
    const rules = hosts.map((h) => `MAP ${h}:443 127.0.0.1:${port}`);
    for (const [h, p] of others) if (p) rules.push(`MAP ${h}:443 127.0.0.1:${p}`);
    rules.push('EXCLUDE localhost');
    args.push(`--host-resolver-rules=${rules.join(', ')}`);
  }
  if (spki) args.push(`--ignore-certificate-errors-spki-list=${spki}`);
  return chromium.launch({ executablePath: CHROMIUM, args, timeout: 30000 });
}

// Runs in every frame before the page's own script (CDP addScriptToEvaluateOnNewDocument, which
// the page's CSP does not govern). It only observes: it records every WebAuthn call, its
// mediation, hints and outcome, every Signal API call and the bodies of */finish POSTs, then
// calls the browser's own function. Flags may hide browser features to test the page's
// fallbacks (L3 JSON helpers, conditional mediation), and may hold a modal get() until the
// test has re-armed the authenticator (the autofill request is then aborted first).
export function spyScript(flags) {
  /* eslint-disable no-undef */
  const rec = (window.__kw = { gets: [], creates: [], signals: [], finishBodies: [] });
  if (flags.noJsonHelpers && window.PublicKeyCredential) {
    delete PublicKeyCredential.parseCreationOptionsFromJSON;
    delete PublicKeyCredential.parseRequestOptionsFromJSON;
    delete PublicKeyCredential.prototype.toJSON;
  }
  if (flags.noConditional && window.PublicKeyCredential) {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  }
  if (navigator.credentials) {
    const origGet = navigator.credentials.get.bind(navigator.credentials);
    const origCreate = navigator.credentials.create.bind(navigator.credentials);
    navigator.credentials.get = async (opts) => {
      const pk = (opts && opts.publicKey) || {};
      const e = {
        mediation: (opts && opts.mediation) || 'optional',
        hints: pk.hints || [],
        allow: (pk.allowCredentials || []).length,
        userVerification: pk.userVerification || '',
        outcome: 'pending',
        aborted: false,
      };
      rec.gets.push(e);
      if (opts && opts.signal) opts.signal.addEventListener('abort', () => { e.aborted = true; });
      if (e.mediation !== 'conditional' && typeof window.__kwBeforeModalGet === 'function') {
        await window.__kwBeforeModalGet();
      }
      try {
        const c = await origGet(opts);
        e.outcome = 'ok';
        e.id = c.id;
        return c;
      } catch (err) {
        e.outcome = err.name;
        throw err;
      }
    };
    navigator.credentials.create = async (opts) => {
      const pk = (opts && opts.publicKey) || {};
      const e = {
        hints: pk.hints || [],
        exclude: (pk.excludeCredentials || []).length,
        residentKey: (pk.authenticatorSelection || {}).residentKey || '',
        outcome: 'pending',
      };
      rec.creates.push(e);
      try {
        const c = await origCreate(opts);
        e.outcome = 'ok';
        e.id = c.id;
        return c;
      } catch (err) {
        e.outcome = err.name;
        throw err;
      }
    };
  }
  if (window.PublicKeyCredential) {
    for (const n of ['signalUnknownCredential', 'signalAllAcceptedCredentials', 'signalCurrentUserDetails']) {
      const f = PublicKeyCredential[n];
      if (typeof f !== 'function') continue;
      PublicKeyCredential[n] = async (arg) => {
        const e = { name: n, arg: JSON.parse(JSON.stringify(arg)), outcome: 'pending' };
        rec.signals.push(e);
        try {
          const r = await f.call(PublicKeyCredential, arg);
          e.outcome = 'ok';
          return r;
        } catch (err) {
          e.outcome = err.name;
          throw err;
        }
      };
    }
  }
  const origFetch = window.fetch.bind(window);
  window.fetch = async (url, init) => {
    if (init && typeof init.body === 'string' && /\/api\/(login|stepup)\/finish$/.test(String(url))) {
      rec.finishBodies.push({ url: String(url), body: init.body });
    }
    return origFetch(url, init);
  };
}

// One virtual authenticator whose credentials survive detach / attach (CDP keeps them only
// while the authenticator exists).
export class VirtualAuthenticator {
  constructor(cdp, name, options, rpId) {
    this.cdp = cdp;
    this.rpId = rpId;
    this.name = name;
    this.options = options;
    this.id = null;
    this.saved = [];
  }

  async attach() {
    if (this.id) return this;
    const r = await this.cdp.send('WebAuthn.addVirtualAuthenticator', { options: this.options });
    this.id = r.authenticatorId;
    for (const c of this.saved) {
      // Non-resident credentials come back from getCredentials without their RP ID.
      await this.cdp.send('WebAuthn.addCredential', { authenticatorId: this.id, credential: { rpId: this.rpId, ...c } });
    }
    this.saved = [];
    return this;
  }

  async detach() {
    if (!this.id) return this;
    this.saved = await this.credentials();
    await this.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: this.id });
    this.id = null;
    return this;
  }

  async credentials() {
    if (!this.id) return this.saved;
    const r = await this.cdp.send('WebAuthn.getCredentials', { authenticatorId: this.id });
    return r.credentials;
  }

  async setUserVerified(v) {
    await this.cdp.send('WebAuthn.setUserVerified', { authenticatorId: this.id, isUserVerified: v });
  }

  async setPresence(v) {
    await this.cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: this.id, enabled: v });
  }
}

// The authenticator matrix of issue #15.
export const MATRIX = [
  {
    name: 'platform',
    title: 'CTAP 2.1 internal platform authenticator (UV, resident keys, backup eligible + backed up)',
    options: {
      protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, defaultBackupEligibility: true,
      defaultBackupState: true,
    },
    discoverable: true, autofill: true, uv: true, synced: true, phone: true,
  },
  {
    name: 'usb-uv',
    title: 'CTAP 2 USB security key with UV',
    options: {
      protocol: 'ctap2', ctap2Version: 'ctap2_0', transport: 'usb', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true,
    },
    // Chromium's autofill offers platform (and hybrid) passkeys only, never a USB key's.
    discoverable: true, autofill: false, uv: true, synced: false,
  },
  {
    name: 'usb-no-uv',
    title: 'CTAP 2 USB security key without UV',
    options: {
      protocol: 'ctap2', ctap2Version: 'ctap2_0', transport: 'usb', hasResidentKey: false,
      hasUserVerification: false,
    },
    // Without UV (no PIN set) Chromium does not create a discoverable credential on a key.
    discoverable: false, autofill: false, uv: false, synced: false,
  },
  {
    name: 'u2f',
    title: 'U2F security key (no resident keys, no UV)',
    options: { protocol: 'u2f', transport: 'usb', hasResidentKey: false, hasUserVerification: false },
    discoverable: false, autofill: false, uv: false, synced: false, noJsonHelpers: true,
  },
];

// A minimal CBOR decoder (major types 0-5 and 7 as attestation objects use them).
export function cborDecode(bytes) {
  let i = 0;
  const u = (n) => { let v = 0; for (let k = 0; k < n; k++) v = v * 256 + bytes[i++]; return v; };
  const item = () => {
    const ib = bytes[i++];
    const mt = ib >> 5;
    const ai = ib & 31;
    let len = ai < 24 ? ai : ai === 24 ? u(1) : ai === 25 ? u(2) : ai === 26 ? u(4) : ai === 27 ? u(8) : NaN;
    if (Number.isNaN(len)) throw new Error('cbor: indefinite or reserved length');
    switch (mt) {
      case 0: return len;
      case 1: return -1 - len;
      case 2: { const b = bytes.subarray(i, i + len); i += len; return b; }
      case 3: { const s = new TextDecoder().decode(bytes.subarray(i, i + len)); i += len; return s; }
      case 4: { const a = []; while (len--) a.push(item()); return a; }
      case 5: { const m = new Map(); while (len--) { const k = item(); m.set(k, item()); } return m; }
      case 7: return ai === 20 ? false : ai === 21 ? true : null;
      default: throw new Error(`cbor: major type ${mt}`);
    }
  };
  return item();
}

export function b64urlDecode(s) {
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}
