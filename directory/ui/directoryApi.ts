// The directory's endpoints (/api/v1/directory, /numbers) and their types.

import { api } from '../../backend/web/ui/api';
import type { PresenceState } from '../../media/client/protocol';
import { digitsOf } from '../../backend/web/ui/numbers';

export type { PresenceState } from '../../media/client/protocol';

export type NumberKind = 'sequential' | 'vanity';
export type RingMode = 'newest' | 'all';

export interface OwnedNumber {
  number: string;
  display: string;
  kind: NumberKind;
  primary: boolean;
}

/** DeviceKind is what a browser runs on, from its User-Agent. */
export type DeviceKind = 'phone' | 'tablet' | 'computer';

/** Device is a browser the member is signed in on; the server issues its id. */
export interface Device {
  id: string;
  kind: DeviceKind;
  /** label names the browser, such as "Firefox on Linux". */
  label: string;
  signedInAt: string;
  online: boolean;
  current: boolean;
}

/** MyPhone is GET /directory/me: the signed-in member's numbers and settings. */
export interface MyPhone {
  numbers: OwnedNumber[];
  listed: boolean;
  emailVerified: boolean;
  interests: string[];
  ringMode: RingMode;
  devices: Device[];
  /** showInMall: others see the member's avatar on the building of the store they are in. */
  showInMall: boolean;
}

export interface MyPhonePatch {
  listed?: boolean;
  interests?: string[];
  ringMode?: RingMode;
  showInMall?: boolean;
}

export interface Member {
  accountId: string;
  name: string;
  number: string;
  display: string;
  interests: string[];
  state: PresenceState;
  /** region is the home region of a member homed in another region; absent for this region's. */
  region?: string;
}

export interface DirectoryPage {
  members: Member[];
  nextCursor: string | null;
}

export interface DirectoryQuery {
  q?: string;
  interest?: string;
  online?: boolean;
  cursor?: string | null;
  limit?: number;
}

export type PartyType = 'member' | 'agent' | 'queue';

/** Resolved is GET /numbers/{number}: who a number reaches and how. */
export interface Resolved {
  number: string;
  display: string;
  party: {
    type: PartyType;
    name: string;
    accountId?: string;
    store?: { slug: string; name: string };
    /** region is the home region of a member homed in another region. */
    region?: string;
  };
  state: PresenceState;
  /** ring lists the devices a call would ring now, by kind and label only. */
  ring: { kind: DeviceKind; label: string }[];
}

export const directoryApi = {
  me: () => api.get<MyPhone>('/directory/me'),
  update: (patch: MyPhonePatch) => api.patch<MyPhone>('/directory/me', patch),
  addNumber: (number: string) =>
    api.post<{ number: OwnedNumber }>('/directory/me/numbers', { number }).then((r) => r.number),
  list(query: DirectoryQuery) {
    const p = new URLSearchParams();
    if (query.q) p.set('q', query.q);
    if (query.interest) p.set('interest', query.interest);
    if (query.online) p.set('online', 'true');
    if (query.cursor) p.set('cursor', query.cursor);
    if (query.limit) p.set('limit', String(query.limit));
    const qs = p.toString();
    return api.get<DirectoryPage>(`/directory${qs ? `?${qs}` : ''}`);
  },
  resolve: (number: string) => api.get<Resolved>(`/numbers/${encodeURIComponent(digitsOf(number))}`),
  verify: (token: string) => api.post<{ emailVerified: boolean }>('/directory/verify', { token }),
  resend: () => api.post<void>('/directory/verify/resend', {}),
  invite: (email: string, note?: string) =>
    api.post<{ sent: boolean }>('/directory/invites', note ? { email, note } : { email }),
};

export const stateLabels: Record<PresenceState, string> = {
  available: 'Available',
  busy: 'Busy',
  away: 'Away',
  push: 'Rings by push',
  offline: 'Offline',
};
