// The desk's transfers (agentdesk/transfer.go): whom an agent may hand a
// live call to, starting a transfer and completing a warm one.

import { api } from '../../backend/web/ui/api';

/** Colleague is an agent of the store and how they are now; only available ones take a transfer. */
export interface Colleague {
  id: string;
  name: string;
  state: 'available' | 'busy' | 'away' | 'offline';
}

/** Line is a store's line a call may go to: the own store's, or another's. */
export interface Line {
  slug: string;
  name: string;
  own: boolean;
  waiting: number;
}

/** TransferTargets is GET /desk/transfer-targets. */
export interface TransferTargets {
  colleagues: Colleague[];
  lines: Line[];
}

/** Transfer is one transfer of an engagement. */
export interface Transfer {
  id: string;
  entryId: string;
  kind: 'warm' | 'cold' | 'queue';
  state: string;
  reason: string;
}

/** TransferTo is the body of POST /desk/engagements/{entry}/transfer: a colleague or a store's line. */
export type TransferTo = { agentId: string; mode: 'warm' | 'cold'; reason?: string } | { store: string; reason?: string };

const enc = encodeURIComponent;

/** transferApi calls the desk's transfer endpoints. */
export const transferApi = {
  targets: () => api.get<TransferTargets>('/desk/transfer-targets'),
  start: (entryId: string, to: TransferTo) => api.post<{ transfer: Transfer }>(`/desk/engagements/${enc(entryId)}/transfer`, to),
  complete: (id: string) => api.post<{ transfer: Transfer }>(`/desk/transfers/${enc(id)}/complete`, {}),
};
