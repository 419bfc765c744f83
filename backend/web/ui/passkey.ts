// Passkey ceremonies: each is begin (server makes a challenge) → the browser's
// authenticator → finish (server verifies and signs the account in).

import { api, ApiError, type Account, type Ceremony, type Passkey } from './api';

/** SignUpForm is what a new member types in; every field but vanityNumber is required. */
export interface SignUpForm {
  name: string;
  email: string;
  birthDate: string;
  address: string;
  /** vanityNumber optionally asks for a chosen number (any formatting). */
  vanityNumber?: string;
}

/** passkeysSupported says whether this browser can run the ceremonies at all. */
export function passkeysSupported(): boolean {
  return (
    typeof window !== 'undefined' &&
    window.isSecureContext &&
    typeof window.PublicKeyCredential === 'function' &&
    typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function'
  );
}

function unsupported(): ApiError {
  return new ApiError(
    0,
    'unavailable',
    'This browser cannot use passkeys. Try a current Chrome, Edge, Safari or Firefox.',
  );
}

/** explain turns the browser's WebAuthn exceptions into sentences for the user. */
function explain(e: unknown): never {
  if (e instanceof ApiError) throw e;
  if (e instanceof DOMException) {
    switch (e.name) {
      case 'NotAllowedError':
        throw new ApiError(0, 'unauthorized', 'The passkey request was cancelled or timed out. Try again when ready.');
      case 'InvalidStateError':
        throw new ApiError(0, 'conflict', 'This device already holds a passkey for this account.');
      case 'SecurityError':
        throw new ApiError(0, 'forbidden', 'Passkeys are not allowed on this address. Open livemall from its public URL.');
      case 'AbortError':
        throw new ApiError(0, 'unauthorized', 'The passkey request was cancelled.');
    }
    throw new ApiError(0, 'internal', `Passkey error: ${e.message}`);
  }
  throw new ApiError(0, 'internal', e instanceof Error ? e.message : 'Passkey error.');
}

async function create(options: PublicKeyCredentialCreationOptionsJSON): Promise<unknown> {
  if (!passkeysSupported()) throw unsupported();
  try {
    const cred = (await navigator.credentials.create({
      publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
    })) as PublicKeyCredential | null;
    if (!cred) throw new ApiError(0, 'unauthorized', 'No passkey was created.');
    return cred.toJSON();
  } catch (e) {
    explain(e);
  }
}

async function get(options: PublicKeyCredentialRequestOptionsJSON): Promise<unknown> {
  if (!passkeysSupported()) throw unsupported();
  try {
    const cred = (await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
    })) as PublicKeyCredential | null;
    if (!cred) throw new ApiError(0, 'unauthorized', 'No passkey was chosen.');
    return cred.toJSON();
  } catch (e) {
    explain(e);
  }
}

type Creation = Ceremony<PublicKeyCredentialCreationOptionsJSON>;
type Request = Ceremony<PublicKeyCredentialRequestOptionsJSON>;

/** signUp registers a new member with a fresh passkey and signs them in. */
export async function signUp(form: SignUpForm): Promise<Account> {
  const { vanityNumber, ...rest } = form;
  const body = vanityNumber?.trim() ? { ...rest, vanityNumber: vanityNumber.trim() } : rest;
  const begin = await api.post<Creation>('/auth/signup/begin', body);
  const credential = await create(begin.options.publicKey);
  const done = await api.post<{ account: Account }>('/auth/signup/finish', {
    ceremony: begin.ceremony,
    credential,
  });
  return done.account;
}

/** signIn asks for any passkey this device holds for livemall (no username). */
export async function signIn(): Promise<Account> {
  const begin = await api.post<Request>('/auth/signin/begin', {});
  const credential = await get(begin.options.publicKey);
  const done = await api.post<{ account: Account }>('/auth/signin/finish', {
    ceremony: begin.ceremony,
    credential,
  });
  return done.account;
}

/**
 * reverify confirms the signed-in person with one of their passkeys (user
 * verification), which the server asks for before it lets a session that
 * signed in a while ago add a passkey.
 */
export async function reverify(): Promise<void> {
  const begin = await api.post<Request>('/auth/reverify/begin', {});
  const credential = await get(begin.options.publicKey);
  await api.post<void>('/auth/reverify/finish', { ceremony: begin.ceremony, credential });
}

/**
 * addPasskey registers one more passkey for the signed-in account. When the
 * session's last passkey check is too old (403), it first confirms the person
 * with an existing passkey, then tries once more.
 */
export async function addPasskey(): Promise<Passkey> {
  let begin: Creation;
  try {
    begin = await api.post<Creation>('/auth/passkeys/begin', {});
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 403)) throw e;
    await reverify();
    begin = await api.post<Creation>('/auth/passkeys/begin', {});
  }
  const credential = await create(begin.options.publicKey);
  const done = await api.post<{ passkey: Passkey }>('/auth/passkeys/finish', {
    ceremony: begin.ceremony,
    credential,
  });
  return done.passkey;
}

/** LinkKind is what a one-time link in the address bar does: enroll (?enroll=) or recover (?recover=). */
export type LinkKind = 'enroll' | 'recover';

/** enroll redeems an enrollment link: registers the first passkey and signs in. */
export function enroll(token: string): Promise<Account> {
  return redeemLink('enroll', token);
}

/** redeemLink redeems an enrollment or recovery link: registers a passkey and signs in. */
export async function redeemLink(kind: LinkKind, token: string): Promise<Account> {
  const path = `/auth/${kind === 'enroll' ? 'enrollments' : 'recoveries'}/${encodeURIComponent(token)}`;
  const begin = await api.post<Creation>(`${path}/begin`, {});
  const credential = await create(begin.options.publicKey);
  const done = await api.post<{ account: Account }>(`${path}/finish`, {
    ceremony: begin.ceremony,
    credential,
  });
  return done.account;
}
