// The contact-center endpoints of the desk (agentdesk/CONTACT_CENTER.md):
// the agent's own state, the store's queue, wrap-ups, the supervisor's live
// figures and the store's mailbox, over the shared api client.

import { api } from '../../backend/web/ui/api';

export { clock } from '../../backend/web/ui/clock';
import type { AgentStateName, QueueContext } from '../../media/client/protocol';
import type { LiveCall } from './superviseApi';

/** agentStateNames are the agent states as the desk shows them. */
export const agentStateNames: Record<AgentStateName, string> = {
  offline: 'Offline',
  available: 'Available',
  ringing: 'Ringing',
  on_call: 'On a call',
  wrap_up: 'Wrap-up',
  away: 'Away',
};

/** AgentStatus is GET /desk/agent: the signed-in agent's routing state and phone number. */
export interface AgentStatus {
  state: AgentStateName;
  since: string;
  wrapUntil?: string | null;
  entryId?: string | null;
  number?: string;
  display?: string;
  store?: { slug: string; name: string } | null;
  /** today is what the agent did since midnight UTC. */
  today?: AgentToday;
}

/** AgentToday counts the agent's calls today, the sales and add-ons among them. */
export interface AgentToday {
  served: number;
  sold: number;
  addOns: number;
  averageHandleSeconds: number;
}

/** QueueProduct is the product a waiting shopper clicked, as far as the queue says. */
export interface QueueProduct {
  id?: number;
  name: string;
  image?: string;
  priceMinor?: number;
  currency?: string;
  path?: string;
}

/** WaitingShopper is one line of the store's queue. */
export interface WaitingShopper {
  entryId: string;
  position: number;
  waitedSeconds: number;
  name: string;
  member: boolean;
  /** state is "waiting", or "offered" while an agent's desk rings. */
  state?: string;
  product?: QueueProduct | null;
}

/** CallbackRequest is a shopper who asked to be called back. */
export interface CallbackRequest {
  entryId: string;
  name: string;
  member?: boolean;
  guest?: boolean;
  number?: string;
  display?: string;
  waitedSeconds?: number;
  product?: QueueProduct | null;
}

/** StoreQueueView is GET /desk/queue. */
export interface StoreQueueView {
  waiting: WaitingShopper[];
  callbacks: CallbackRequest[];
}

/** WrapUpOutcome is how an engagement ended, as the agent files it. */
export type WrapUpOutcome = 'sold' | 'no_sale' | 'follow_up' | 'not_interested' | 'other';

/** wrapUpOutcomes lists the outcomes in the order the form offers them, with their labels. */
export const wrapUpOutcomes: { value: WrapUpOutcome; label: string }[] = [
  { value: 'sold', label: 'Sold' },
  { value: 'no_sale', label: 'No sale' },
  { value: 'follow_up', label: 'Follow up' },
  { value: 'not_interested', label: 'Not interested' },
  { value: 'other', label: 'Other' },
];

/** Engagement is GET /desk/engagements/{entryId}. */
export interface Engagement {
  entryId: string;
  /** name is the shopper's name ("" for a guest). */
  name?: string;
  member?: boolean;
  state?: string;
  outcome?: WrapUpOutcome | null;
  note?: string;
  context?: QueueContext;
}

/** LiveFigures is the supervisor's GET /desk/live. Ratios are 0..1. */
export interface LiveFigures {
  queueLength: number;
  longestWaitSeconds: number;
  agents: { name: string; state: AgentStateName; since: string; servedToday?: number; attachRate?: number }[];
  /** callbacks is how many shoppers wait for a call back. */
  callbacks?: number;
  callsToday: number;
  answeredToday?: number;
  answeredWithin20s: number;
  averageHandleSeconds: number;
  conversion: number;
  /** attachRate is the share of today's answered calls whose order holds a suggested add-on. */
  attachRate?: number;
  /** calls are the calls in progress (superviseApi.ts). */
  calls?: LiveCall[];
}

/** StoreMessage is a message a shopper left for the store. */
export interface StoreMessage {
  id: string;
  fromName: string;
  fromNumber?: string | null;
  fromDisplay?: string;
  createdAt: string;
  durationMs: number;
  hasVideo: boolean;
  contentType?: string;
  /** heardAt is when someone of the store played it; null while unheard. */
  heardAt?: string | null;
  /** member says a member left it (fromNumber calls them back). */
  member?: boolean;
  /** entryId is the queue entry the message came from. */
  entryId?: string | null;
  product?: QueueProduct | null;
}

const enc = encodeURIComponent;

/** deskApi is the desk's typed list of contact-center endpoints. */
export const deskApi = {
  agent: () => api.get<AgentStatus>('/desk/agent'),
  setState: (state: 'available' | 'away') => api.put<AgentStatus>('/desk/agent/state', { state }),
  queue: () => api.get<StoreQueueView>('/desk/queue'),
  saveWrapUp: (entryId: string, outcome: WrapUpOutcome, note: string) =>
    api.post<unknown>(`/desk/wrapups/${enc(entryId)}`, { outcome, note }),
  engagement: (entryId: string) => api.get<Engagement>(`/desk/engagements/${enc(entryId)}`),
  live: () => api.get<LiveFigures>('/desk/live'),
  mailbox: () => api.get<{ messages: StoreMessage[]; unheard: number }>('/desk/mailbox'),
  markHeard: (id: string) => api.post<unknown>(`/desk/mailbox/${enc(id)}/heard`, {}),
  /** mediaURL is where a message's recording plays from. */
  mediaURL: (id: string) => `/api/v1/desk/mailbox/${enc(id)}/media`,
};

