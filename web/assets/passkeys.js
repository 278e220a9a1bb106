// Passkeys: the WebAuthn ceremonies against the forum's API. The server sends its options with binary values as
// base64url text; the credential the browser makes goes back the same way, as PublicKeyCredential.toJSON() writes it.
import { api } from './api.js';
import { reportError, toast } from './toast.js';

function decode(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
}

function encode(buffer) {
  let bin = '';
  for (const byte of new Uint8Array(buffer)) bin += String.fromCharCode(byte);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const descriptors = (list) => (list ?? []).map((c) => ({ ...c, id: decode(c.id) }));

/** passkeysSupported tells whether this browser can make and use passkeys. */
export function passkeysSupported() {
  return typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;
}

/** creationOptions turns the server's publicKey creation options into what navigator.credentials.create takes. */
export function creationOptions(publicKey) {
  return {
    ...publicKey,
    challenge: decode(publicKey.challenge),
    user: { ...publicKey.user, id: decode(publicKey.user.id) },
    excludeCredentials: descriptors(publicKey.excludeCredentials),
  };
}

/** requestOptions turns the server's publicKey request options into what navigator.credentials.get takes. */
export function requestOptions(publicKey) {
  return { ...publicKey, challenge: decode(publicKey.challenge), allowCredentials: descriptors(publicKey.allowCredentials) };
}

/** credentialJSON is a PublicKeyCredential (made or used) as the API takes it: its binary values in base64url. */
export function credentialJSON(credential) {
  const r = credential.response;
  const response = { clientDataJSON: encode(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = encode(r.attestationObject);
    response.transports = r.getTransports?.() ?? [];
  } else {
    response.authenticatorData = encode(r.authenticatorData);
    response.signature = encode(r.signature);
    if (r.userHandle) response.userHandle = encode(r.userHandle);
  }
  const body = {
    id: credential.id,
    rawId: encode(credential.rawId),
    type: credential.type,
    response,
    clientExtensionResults: credential.getClientExtensionResults(),
  };
  if (credential.authenticatorAttachment) body.authenticatorAttachment = credential.authenticatorAttachment;
  return body;
}

/** addPasskey enrols a passkey for the signed-in user, named name (the server names it when empty): the new passkey. */
export async function addPasskey(name) {
  const { publicKey } = await api.post('/api/me/passkeys/begin');
  const credential = await navigator.credentials.create({ publicKey: creationOptions(publicKey) });
  const body = credentialJSON(credential);
  if (name) body.name = name;
  const { passkey } = await api.post('/api/me/passkeys/finish', body);
  return passkey;
}

/** signInWithPasskey signs in with a passkey the authenticator offers, no password asked: {user, token}. */
export async function signInWithPasskey() {
  const { publicKey } = await api.post('/api/signin/passkey/begin');
  const credential = await navigator.credentials.get({ publicKey: requestOptions(publicKey) });
  return api.post('/api/signin/passkey/finish', credentialJSON(credential));
}

/** reportPasskeyError shows why a ceremony failed; one the user cancelled, or the browser refused, says so plainly. */
export function reportPasskeyError(err) {
  if (err?.name === 'NotAllowedError') toast('No passkey was used.', { kind: 'error' });
  else if (err?.name === 'InvalidStateError') toast('This passkey is already yours here.', { kind: 'error' });
  else if (err instanceof DOMException) toast(`The passkey did not work: ${err.message}`, { kind: 'error' });
  else reportError(err);
}
