// One-time account links in the address bar: ?enroll=TOKEN registers the
// first passkey of an account an operator created; ?recover=TOKEN (printed by
// `livemall account recover`, valid one hour) adds a passkey to an account
// whose owner lost theirs. The desk and the phone show the same states.

import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Enrollment } from './api';
import type { LinkKind } from './passkey';
import { errorMessage } from './session';

/** AccountLink is a one-time link found in the address bar. */
export interface AccountLink {
  kind: LinkKind;
  token: string;
}

/** accountLinkFrom returns the enroll or recover link in params, if any. */
export function accountLinkFrom(params: URLSearchParams): AccountLink | null {
  const enroll = params.get('enroll');
  if (enroll) return { kind: 'enroll', token: enroll };
  const recover = params.get('recover');
  if (recover) return { kind: 'recover', token: recover };
  return null;
}

/** LinkLoad is what opening a link found: whom it is for, or why it cannot be used. */
export type LinkLoad =
  | { state: 'loading' }
  | { state: 'gone' }
  | { state: 'used' }
  | { state: 'error'; message: string }
  | { state: 'ready'; enrollment: Enrollment };

/**
 * useLinkLoad looks the link up. An enrollment link of an account that has a
 * passkey already is 'used' (409); an unknown, expired or spent link is 'gone'.
 */
export function useLinkLoad(link: AccountLink): LinkLoad {
  const [load, setLoad] = useState<LinkLoad>({ state: 'loading' });
  useEffect(() => {
    const lookup = link.kind === 'enroll' ? api.enrollment(link.token) : api.recovery(link.token);
    lookup.then(
      (enrollment) => setLoad({ state: 'ready', enrollment }),
      (e: unknown) =>
        setLoad(
          e instanceof ApiError && e.status === 404
            ? { state: 'gone' }
            : e instanceof ApiError && e.status === 409
              ? { state: 'used' }
              : { state: 'error', message: errorMessage(e) },
        ),
    );
  }, [link.kind, link.token]);
  return load;
}

/** linkRefusal is the title and explanation of a link that cannot be used. */
export function linkRefusal(kind: LinkKind, load: LinkLoad): { title: string; text: string } {
  if (load.state === 'used') {
    return {
      title: 'This enrollment link was already used',
      text: 'Sign in with your passkey, or ask an admin for a recovery link.',
    };
  }
  if (load.state === 'error') {
    return { title: 'The link did not open', text: load.message };
  }
  if (kind === 'recover') {
    return {
      title: 'This recovery link can no longer be used',
      text: 'It was already used or it has expired (recovery links last one hour). If you added a passkey with it, sign in; otherwise ask an admin for a new link.',
    };
  }
  return {
    title: 'This enrollment link can no longer be used',
    text: 'It was already used or it has expired. If you registered a passkey with it, sign in; otherwise ask an admin for a new link.',
  };
}
