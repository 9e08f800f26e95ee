// keyward's passkey page: sign-up, sign-in (autofill and button), passkey management, step-up.
// Plain ES module, no framework, no build step. Talks to `keyward serve`'s browser session API
// (docs/serve-browser-api.md); WebAuthn L3 JSON both ways, with a small fallback for browsers
// that lack PublicKeyCredential.parse*FromJSON / toJSON. Every state is announced in #status
// (an aria-live region); data-state / data-code on it name the state for tests and styling.

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------
// base64url and the L3 JSON forms

function b64urlToBuffer(s) {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

function bufferToB64url(buf) {
  const bytes = buf instanceof ArrayBuffer ? new Uint8Array(buf)
      : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const descriptorsFromJSON = (list) =>
  (list || []).map((d) => ({ ...d, id: b64urlToBuffer(d.id) }));

function creationOptionsFromJSON(json) {
  if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function') {
    return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  }
  return {
    ...json,  // rp, pubKeyCredParams, timeout, authenticatorSelection, attestation, hints, ...
    challenge: b64urlToBuffer(json.challenge),
    user: { ...json.user, id: b64urlToBuffer(json.user.id) },
    excludeCredentials: descriptorsFromJSON(json.excludeCredentials),
  };
}

function requestOptionsFromJSON(json) {
  if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function') {
    return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  }
  return {
    ...json,  // rpId, timeout, userVerification, hints, extensions
    challenge: b64urlToBuffer(json.challenge),
    allowCredentials: descriptorsFromJSON(json.allowCredentials),
  };
}

// RegistrationResponseJSON / AuthenticationResponseJSON.
function credentialToJSON(cred) {
  if (typeof cred.toJSON === 'function') return cred.toJSON();
  const r = cred.response;
  const json = {
    id: cred.id,
    rawId: bufferToB64url(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment ?? undefined,
    clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
    response: { clientDataJSON: bufferToB64url(r.clientDataJSON) },
  };
  if (r.attestationObject) {
    json.response.attestationObject = bufferToB64url(r.attestationObject);
    json.response.transports = r.getTransports ? r.getTransports() : [];
    if (r.getAuthenticatorData) json.response.authenticatorData = bufferToB64url(r.getAuthenticatorData());
    const spki = r.getPublicKey ? r.getPublicKey() : null;
    if (spki) json.response.publicKey = bufferToB64url(spki);
    if (r.getPublicKeyAlgorithm) json.response.publicKeyAlgorithm = r.getPublicKeyAlgorithm();
  } else {
    json.response.authenticatorData = bufferToB64url(r.authenticatorData);
    json.response.signature = bufferToB64url(r.signature);
    if (r.userHandle && r.userHandle.byteLength) json.response.userHandle = bufferToB64url(r.userHandle);
  }
  return json;
}

// ---------------------------------------------------------------------------------------------
// Messages

// What each DOMException of navigator.credentials.create/get means to a person. `op` is
// 'create' or 'get'.
function ceremonyMessage(err, op) {
  switch (err && err.name) {
    case 'NotAllowedError':
      // A step-up asks for user verification: a key without a PIN or biometrics cannot answer.
      if (op === 'stepup') {
        return 'Your security key did not confirm. This action needs a key that verifies you (PIN or biometrics); a key without them cannot. Nothing was changed.';
      }
      return 'The passkey request was cancelled or timed out. Nothing was changed — try again when you are ready.';
    case 'InvalidStateError':
      return op === 'create'
        ? 'This authenticator already holds a passkey for this account. Use another authenticator, or sign in with this one.'
        : 'The authenticator is not in a state to answer. Try again.';
    case 'AbortError':
      return 'The passkey request was stopped.';
    case 'SecurityError':
      return 'This address is not allowed to use passkeys for this site (the page origin and the relying party do not match).';
    case 'NotSupportedError':
      return 'Your browser or authenticator does not support what this site asks for (for example the key algorithm). Try another authenticator.';
    case 'ConstraintError':
      return op === 'create'
        ? 'The authenticator cannot do what this site requires (store a passkey on the device, or verify you with a PIN or biometrics).'
        : 'The authenticator cannot verify you (no PIN or biometrics set up), which this site requires.';
    case 'UnknownError':
      return 'The authenticator reported an error. Try again, or use another authenticator.';
    case 'TypeError':
      return 'The browser rejected the request options. Reload the page and try again.';
    default:
      return 'The passkey request failed' + (err && err.name ? ` (${err.name})` : '') + '. Try again.';
  }
}

const serverMessages = {
  origin_not_allowed: 'This page is not served from an address the server accepts for passkeys.',
  credential_unknown: 'This passkey is no longer registered with your account. Your browser was told to forget it; sign in with another passkey.',
  registration_failed: 'The account could not be created with that username. Choose another username, or sign in if you already have an account.',
  ceremony_unknown: 'That request has expired or was already used. Try again.',
  challenge_replayed: 'That response was already used. Start again.',
  challenge_expired: 'That took too long and the request expired. Try again.',
  cross_origin_not_allowed: 'Passkeys cannot be used from inside another site\'s frame here. Open this page directly.',
  not_signed_in: 'Your session has ended. Sign in again.',
  last_credential: 'This is your only passkey. Removing it means you cannot sign in any more.',
  rate_limited: 'Too many attempts. Wait a moment and try again.',
  user_not_verified: 'Your authenticator did not verify you (PIN or biometrics), which this site requires.',
  policy_denied: 'This authenticator is not accepted by the site\'s security policy.',
  step_up_required: 'This action needs a stronger authenticator.',
  not_found: 'That passkey is no longer on your account. The list was refreshed.',
  invalid_argument: 'The server does not know that action.',
  service_unavailable: 'The service is unavailable right now. Try again in a moment.',
  network: 'The server cannot be reached. Check your connection and try again.',
};

function serverMessage(body) {
  const code = body && body.errorCode;
  let text = serverMessages[code] || (body && body.errorMessage) || 'The server refused the request.';
  if (code === 'rate_limited' && body.retryAfter) text += ` (retry in ${body.retryAfter} s)`;
  return text;
}

// ---------------------------------------------------------------------------------------------
// Status (the one aria-live region)

function setStatus(state, text, code) {
  const s = $('status');
  s.dataset.seq = String(Number(s.dataset.seq || 0) + 1);  // lets observers see a repeated state
  s.dataset.state = state;
  if (code) s.dataset.code = code; else delete s.dataset.code;
  s.classList.toggle('error', state === 'error');
  s.classList.toggle('ok', state === 'signed-in' || state === 'done');
  s.textContent = text;
}

const busyButtons = new Set();
function setBusy(busy) {
  for (const b of document.querySelectorAll('button')) {
    if (busy) { if (!b.disabled) { busyButtons.add(b); b.disabled = true; } }
    else if (busyButtons.has(b)) { b.disabled = false; }
  }
  if (!busy) busyButtons.clear();
  document.body.setAttribute('aria-busy', busy ? 'true' : 'false');
}

// ---------------------------------------------------------------------------------------------
// The server

class ServerError extends Error {
  constructor(status, body) {
    super((body && body.errorCode) || `http_${status}`);
    this.status = status;
    this.body = body || {};
    this.code = (body && body.errorCode) || `http_${status}`;
  }
}

async function api(path, body) {
  const init = body === undefined
    ? { method: 'GET', credentials: 'same-origin', headers: { Accept: 'application/json' } }
    : { method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body) };
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ServerError(0, { errorCode: 'network', errorMessage: 'The server cannot be reached.' });
  }
  let json = null;
  try { json = await res.json(); } catch (e) { json = null; }
  if (!res.ok || !json || json.status !== 'ok') {
    const b = json || {};
    if (res.status === 429) b.retryAfter = res.headers.get('Retry-After');
    if (!b.errorCode) b.errorCode = `http_${res.status}`;
    throw new ServerError(res.status, b);
  }
  return json;
}

// ---------------------------------------------------------------------------------------------
// Signal API (each call only where the browser has it; failures never disturb the page)

async function signal(name, arg) {
  const fn = window.PublicKeyCredential && PublicKeyCredential[name];
  if (typeof fn !== 'function') return;
  try { await fn.call(PublicKeyCredential, arg); } catch (e) { /* advisory only */ }
}

// ---------------------------------------------------------------------------------------------
// State

const state = { me: null, conditional: null, pendingAction: null, supported: false };

function showSignedOut() {
  state.me = null;
  $('signed-in').hidden = true;
  $('signed-out').hidden = false;
  $('who').hidden = true;
  $('signout-button').hidden = true;
}

function fmtTime(unix) {
  if (!unix) return 'never';
  const d = new Date(unix * 1000);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function credentialLabel(c) {
  return c.nickname || c.authenticatorName ||
      (c.kind === 'security_key' ? 'Security key' : c.kind === 'smart_card' ? 'Smart card' : 'Passkey');
}

function renderMe(me) {
  state.me = me;
  $('signed-out').hidden = true;
  $('signed-in').hidden = false;
  const who = me.user.displayName ? `${me.user.displayName} (${me.user.name})` : me.user.name;
  $('account-name').textContent = who;
  $('who').textContent = me.user.name;
  $('who').hidden = false;
  $('signout-button').hidden = false;
  $('account-aal').textContent = (me.aal || '').toUpperCase();
  if (document.activeElement !== $('profile-displayname')) {
    $('profile-displayname').value = me.user.displayName || '';
  }
  const list = $('passkeys');
  list.replaceChildren();
  const tpl = $('passkey-item');
  for (const c of me.credentials) {
    const li = tpl.content.firstElementChild.cloneNode(true);
    li.dataset.id = c.id;
    li.dataset.kind = c.kind;
    const label = credentialLabel(c);
    li.querySelector('.passkey-name').textContent = label;
    const sync = li.querySelector('.passkey-sync');
    sync.textContent = c.synced ? (c.backedUp ? 'Synced' : 'Sync-capable, not backed up yet') : 'This device only';
    sync.classList.add(c.synced ? 'synced' : 'bound');
    const kinds = { passkey: 'passkey', security_key: 'security key', smart_card: 'smart card' };
    li.querySelector('.passkey-authenticator').textContent =
        `${c.authenticatorName || 'Unknown authenticator'} · ${kinds[c.kind] || c.kind}`;
    li.querySelector('.passkey-created').textContent = fmtTime(c.createdAt);
    li.querySelector('.passkey-used').textContent = fmtTime(c.lastUsedAt);
    const renameBtn = li.querySelector('.passkey-rename-button');
    const removeBtn = li.querySelector('.passkey-remove-button');
    renameBtn.setAttribute('aria-label', `Rename ${label}`);
    removeBtn.setAttribute('aria-label', `Remove ${label}`);
    const form = li.querySelector('.passkey-rename');
    const input = form.querySelector('input');
    renameBtn.addEventListener('click', () => {
      form.hidden = false;
      input.value = c.nickname || label;
      input.focus();
      input.select();
    });
    form.querySelector('.passkey-rename-cancel').addEventListener('click', () => {
      form.hidden = true;
      renameBtn.focus();
    });
    form.addEventListener('submit', (e) => { e.preventDefault(); renamePasskey(c, input.value.trim()); });
    removeBtn.addEventListener('click', () => removePasskey(c));
    list.appendChild(li);
  }
}

async function loadMe() {
  try {
    const me = await api('/api/me');
    renderMe(me);
    return me;
  } catch (e) {
    if (e instanceof ServerError && (e.status === 401 || e.code === 'not_signed_in')) {
      showSignedOut();
      return null;
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Ceremonies

function stopConditional() {
  if (state.conditional) {
    state.conditional.abort();
    state.conditional = null;
  }
}

// A ceremony failure: server errors and DOMExceptions get their message and code.
function reportError(e, op) {
  if (e instanceof ServerError) {
    setStatus('error', serverMessage(e.body), e.code);
  } else if (e && e.name) {
    setStatus('error', ceremonyMessage(e, op), e.name);
  } else {
    setStatus('error', 'Something went wrong. Try again.', 'unknown');
  }
}

async function afterSignIn(login) {
  const me = await loadMe();
  if (!me) throw new ServerError(401, { errorCode: 'not_signed_in' });
  setStatus('signed-in', `Signed in as ${me.user.name}.`);
  $('main').focus();
  await signal('signalAllAcceptedCredentials', {
    rpId: me.rpId, userId: me.user.id, allAcceptedCredentialIds: me.credentials.map((c) => c.id),
  });
  return login;
}

// The server says the passkey used is unknown: tell the browser to forget it.
async function handleUnknownCredential(e, options, credentialId) {
  if (!(e instanceof ServerError) || e.code !== 'credential_unknown') return;
  await signal('signalUnknownCredential', {
    rpId: (options && options.rpId) || location.hostname,
    credentialId: e.body.credentialId || credentialId,
  });
}

// Sign-in. mediation 'conditional' (autofill) or undefined (button).
async function signIn(mediation, username) {
  let controller = null;
  if (mediation === 'conditional') {
    // Set before the first await, so that a button pressed meanwhile aborts this request.
    controller = new AbortController();
    state.conditional = controller;
  }
  const begin = await api('/api/login/begin', username ? { username } : {});
  if (controller && controller.signal.aborted) throw new DOMException('aborted', 'AbortError');
  const opts = { publicKey: requestOptionsFromJSON(begin.publicKey) };
  if (controller) {
    opts.mediation = 'conditional';
    opts.signal = controller.signal;
  }
  const cred = await navigator.credentials.get(opts);
  if (controller && state.conditional === controller) state.conditional = null;
  setStatus('working', 'Checking your passkey…');
  const credential = credentialToJSON(cred);
  try {
    const fin = await api('/api/login/finish', { ceremonyId: begin.ceremonyId, credential });
    return afterSignIn(fin);
  } catch (e) {
    await handleUnknownCredential(e, begin.publicKey, credential.id);
    throw e;
  }
}

async function startConditional() {
  if (!state.supported || typeof PublicKeyCredential.isConditionalMediationAvailable !== 'function') {
    document.body.dataset.conditional = 'unavailable';
    return;
  }
  let available = false;
  try { available = await PublicKeyCredential.isConditionalMediationAvailable(); } catch (e) { available = false; }
  if (state.me) return;
  // Marks whether autofill runs (for styling and tests): 'started' or 'unavailable'.
  document.body.dataset.conditional = available ? 'started' : 'unavailable';
  if (!available) return;
  try {
    await signIn('conditional');
  } catch (e) {
    // Autofill that the user never used, that was aborted for a button ceremony, or that the
    // browser gave up on, says nothing; every other failure is reported.
    if (e && (e.name === 'AbortError' || e.name === 'NotAllowedError')) return;
    reportError(e, 'get');
    // An autofill request that outlived its challenge: offer a fresh one.
    if (e instanceof ServerError && (e.code === 'ceremony_unknown' || /^challenge_/.test(e.code))) startConditional();
  }
}

async function onSignInButton(ev) {
  ev.preventDefault();
  stopConditional();
  const username = $('signin-username').value.trim();
  setBusy(true);
  setStatus('working', 'Waiting for your passkey… Follow your browser\'s prompt.');
  try {
    await signIn(undefined, username);
  } catch (e) {
    reportError(e, 'get');
  } finally {
    setBusy(false);
  }
}

async function onSignUp(ev) {
  ev.preventDefault();
  const username = $('signup-username').value.trim();
  const displayName = $('signup-displayname').value.trim() || username;
  if (!username) {
    setStatus('error', 'Enter a username to create an account.', 'username_missing');
    $('signup-username').focus();
    return;
  }
  // "Use a security key instead": a key that keeps no discoverable credential (U2F, no PIN).
  const kind = ev.submitter && ev.submitter.value === 'security_key' ? 'security_key' : 'passkey';
  stopConditional();
  setBusy(true);
  setStatus('working', 'Creating your passkey… Follow your browser\'s prompt.');
  try {
    const begin = await api('/api/register/begin', { username, displayName, kind });
    const cred = await navigator.credentials.create({ publicKey: creationOptionsFromJSON(begin.publicKey) });
    setStatus('working', 'Saving your passkey…');
    await api('/api/register/finish', { ceremonyId: begin.ceremonyId, credential: credentialToJSON(cred) });
    const me = await loadMe();
    if (!me) throw new ServerError(401, { errorCode: 'not_signed_in' });
    setStatus('signed-in', `Account created. Signed in as ${me.user.name} with your new passkey.`);
    $('main').focus();
  } catch (e) {
    reportError(e, 'create');
  } finally {
    setBusy(false);
  }
}

async function addCredential(kind) {
  setBusy(true);
  setStatus('working', kind === 'security_key'
      ? 'Insert or touch your security key… Follow your browser\'s prompt.'
      : 'Creating another passkey… Follow your browser\'s prompt.');
  try {
    const begin = await api('/api/register/begin', { kind });
    const cred = await navigator.credentials.create({ publicKey: creationOptionsFromJSON(begin.publicKey) });
    const fin = await api('/api/register/finish', { ceremonyId: begin.ceremonyId, credential: credentialToJSON(cred) });
    await loadMe();
    setStatus('done', `Added ${credentialLabel(fin.credential || { kind })}.`);
  } catch (e) {
    reportError(e, 'create');
  } finally {
    setBusy(false);
  }
}

async function renamePasskey(c, nickname) {
  if (!nickname) {
    setStatus('error', 'Enter a name for the passkey.', 'nickname_missing');
    return;
  }
  setBusy(true);
  try {
    await api('/api/credentials/rename', { id: c.id, nickname });
    await loadMe();
    setStatus('done', `Renamed to ${nickname}.`);
    const btn = document.querySelector(`li[data-id="${CSS.escape(c.id)}"] .passkey-rename-button`);
    if (btn) btn.focus();
  } catch (e) {
    reportError(e);
    if (e instanceof ServerError && e.code === 'not_found') await loadMe().catch(() => {});
  } finally {
    setBusy(false);
  }
}

function confirmDialog(title, text, okLabel) {
  const dlg = $('confirm-dialog');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = okLabel;
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'confirm'), { once: true });
    dlg.returnValue = '';
    dlg.showModal();
  });
}

async function removePasskey(c) {
  const label = credentialLabel(c);
  const last = state.me && state.me.credentials.length <= 1;
  const ok = last
    ? await confirmDialog('Remove your only passkey?',
        `"${label}" is the only passkey on this account. Without it you cannot sign in again. ` +
        'Add another passkey first unless you really mean to lock yourself out.', 'Remove anyway')
    : await confirmDialog('Remove passkey?',
        `"${label}" will no longer sign you in. The authenticator may still list it until you delete it there.`,
        'Remove');
  if (!ok) {
    setStatus('done', `Kept ${label}.`);
    return;
  }
  setBusy(true);
  try {
    let res;
    try {
      res = await api('/api/credentials/remove', { id: c.id, confirmLast: last });
    } catch (e) {
      // The list was stale: the server says this is the last one. Warn, then ask again.
      if (!(e instanceof ServerError) || e.code !== 'last_credential') throw e;
      setBusy(false);
      const again = await confirmDialog('Remove your only passkey?', serverMessages.last_credential, 'Remove anyway');
      if (!again) { setStatus('done', `Kept ${label}.`); return; }
      setBusy(true);
      res = await api('/api/credentials/remove', { id: c.id, confirmLast: true });
    }
    const me = state.me;
    if (me && Array.isArray(res.acceptedCredentialIds)) {
      await signal('signalAllAcceptedCredentials', {
        rpId: me.rpId, userId: me.user.id, allAcceptedCredentialIds: res.acceptedCredentialIds,
      });
    }
    const after = await loadMe();
    setStatus('done', after ? `Removed ${label}.` : `Removed ${label}. You have no passkey left and were signed out.`);
  } catch (e) {
    reportError(e);
  } finally {
    setBusy(false);
  }
}

async function onProfile(ev) {
  ev.preventDefault();
  const displayName = $('profile-displayname').value.trim();
  setBusy(true);
  try {
    const res = await api('/api/profile', { displayName });
    const me = state.me;
    if (me && res.user) {
      await signal('signalCurrentUserDetails', {
        rpId: me.rpId, userId: res.user.id, name: res.user.name, displayName: res.user.displayName,
      });
    }
    await loadMe();
    setStatus('done', 'Your name was saved.');
  } catch (e) {
    reportError(e);
  } finally {
    setBusy(false);
  }
}

const aalNames = { aal1: 'AAL1', aal2: 'AAL2', aal3: 'AAL3 (a hardware authenticator)' };
const kindNames = { security_key: 'a security key', smart_card: 'a smart card', passkey: 'a passkey' };

async function runAction(action) {
  const res = await api('/api/action', { action });
  state.pendingAction = null;
  $('stepup').hidden = true;
  setStatus('done', `Action "${action}" done.`);
  return res;
}

async function onAction(ev) {
  ev.preventDefault();
  const action = $('action-name').value;
  setBusy(true);
  try {
    await runAction(action);
  } catch (e) {
    if (e instanceof ServerError && e.code === 'step_up_required') {
      showStepUp(action, e.body);
    } else {
      reportError(e);
    }
  } finally {
    setBusy(false);
  }
}

function showStepUp(action, body) {
  state.pendingAction = action;
  const kinds = (body.satisfyingKinds || []).map((k) => kindNames[k] || k);
  const level = aalNames[body.requiredAal] || body.requiredAal || 'a higher assurance level';
  let why = `"${action}" needs ${level}.`;
  if (body.reason) why += ` Policy: ${String(body.reason).replace(/\.$/, '')}.`;
  if (kinds.length) {
    why += ` Confirm with ${kinds.join(' or ')} registered to your account.`;
  } else {
    why += ' None of your authenticators reaches that level: it takes a security key or smart card whose hardware this site can verify. Add one first.';
  }
  $('stepup-why').textContent = why;
  $('stepup-button').hidden = kinds.length === 0;
  $('stepup-button').textContent = kinds.length === 1 && body.satisfyingKinds[0] === 'smart_card'
    ? 'Use my smart card' : 'Use my security key';
  $('stepup').hidden = false;
  setStatus('stepup', `Step-up needed. ${why}`, 'step_up_required');
  (kinds.length ? $('stepup-button') : $('stepup-cancel')).focus();
}

async function onStepUp() {
  const action = state.pendingAction;
  if (!action) return;
  setBusy(true);
  setStatus('working', 'Touch your security key… Follow your browser\'s prompt.');
  try {
    const begin = await api('/api/stepup/begin', { action });
    const cred = await navigator.credentials.get({ publicKey: requestOptionsFromJSON(begin.publicKey) });
    const credential = credentialToJSON(cred);
    try {
      await api('/api/stepup/finish', { ceremonyId: begin.ceremonyId, credential });
    } catch (e) {
      await handleUnknownCredential(e, begin.publicKey, credential.id);
      throw e;
    }
    const me = await loadMe();
    await runAction(action);
    const level = me && me.aal ? me.aal.toUpperCase() : 'the required level';
    setStatus('done', `Confirmed with your security key: this session is now at ${level}. Action "${action}" done.`);
  } catch (e) {
    reportError(e, 'stepup');
  } finally {
    setBusy(false);
  }
}

async function onSignOut() {
  setBusy(true);
  try {
    await api('/api/logout', {});
  } catch (e) {
    if (!(e instanceof ServerError && e.status === 401)) { reportError(e); setBusy(false); return; }
  }
  setBusy(false);
  showSignedOut();
  $('stepup').hidden = true;
  setStatus('signed-out', 'You are signed out.');
  $('signin-username').focus();
  startConditional();
}

// ---------------------------------------------------------------------------------------------
// Start

async function main() {
  $('signin-form').addEventListener('submit', onSignInButton);
  $('signup-form').addEventListener('submit', onSignUp);
  $('add-passkey-button').addEventListener('click', () => addCredential('passkey'));
  $('add-security-key-button').addEventListener('click', () => addCredential('security_key'));
  $('profile-form').addEventListener('submit', onProfile);
  $('action-form').addEventListener('submit', onAction);
  $('stepup-button').addEventListener('click', onStepUp);
  $('stepup-cancel').addEventListener('click', () => {
    state.pendingAction = null;
    $('stepup').hidden = true;
    setStatus('done', 'Step-up cancelled; the action was not run.');
  });
  $('signout-button').addEventListener('click', onSignOut);

  state.supported = !!(window.PublicKeyCredential && window.isSecureContext && navigator.credentials);
  if (!state.supported) $('unsupported').hidden = false;

  try {
    const me = await loadMe();
    if (me) {
      setStatus('signed-in', `Signed in as ${me.user.name}.`);
    } else {
      setStatus('signed-out', 'You are signed out. Sign in with a passkey, or create an account.');
      startConditional();
    }
  } catch (e) {
    showSignedOut();
    reportError(e);
  }
}

main();
