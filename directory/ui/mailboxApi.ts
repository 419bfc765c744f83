// The mailbox and call history endpoints (/api/v1/mailbox, /api/v1/calls).

import { api } from '../../backend/web/ui/api';
import type { CallOutcome } from '../../media/client/protocol';

/** VoiceMessage is a message left in the signed-in member's mailbox. */
export interface VoiceMessage {
  id: string;
  fromName: string;
  fromNumber: string | null;
  fromDisplay: string;
  number: string;
  createdAt: string;
  durationMs: number;
  hasVideo: boolean;
  contentType: string;
  heard: boolean;
  heardAt: string | null;
  mediaUrl: string;
}

/**
 * StoredCallOutcome is how a call in the history ended: an outcome a live
 * call reports, or connection_lost for a call whose room's node died
 * (nobody was left to hang up).
 */
export type StoredCallOutcome = CallOutcome | 'connection_lost';

/** CallRecord is one call in the recent history, either way. */
export interface CallRecord {
  id: string;
  callerAccountId: string;
  callerNumber: string | null;
  calleeNumber: string;
  calleeAccountId: string | null;
  video: boolean;
  state: string;
  outcome: StoredCallOutcome | null;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
}

export const mailboxApi = {
  list: () => api.get<{ messages: VoiceMessage[]; unheard: number }>('/mailbox'),
  mark: (id: string, heard: boolean) =>
    api.patch<{ message: VoiceMessage }>(`/mailbox/${encodeURIComponent(id)}`, { heard }).then((r) => r.message),
  remove: (id: string) => api.del(`/mailbox/${encodeURIComponent(id)}`),
  calls: () => api.get<{ calls: CallRecord[] }>('/calls').then((r) => r.calls),
};
