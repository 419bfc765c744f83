// The supervisor's steps into calls (agentdesk/supervise_routes.go): POST
// /desk/calls/{entryId}/supervise {mode, connId} steps in or changes mode,
// DELETE steps out. The calls in progress come with GET /desk/live.

import { api } from '../../backend/web/ui/api';
import type { QueueProduct } from './deskApi';
import type { SuperviseMode } from './superviseCall';

/** LiveCall is a call in progress in the live view. */
export interface LiveCall {
  entryId: string;
  callId: string;
  agent: string;
  shopper: string;
  member: boolean;
  answeredAt: string;
  product?: QueueProduct | null;
  cartMinor: number;
  cartItems: number;
  currency: string;
  /** supervising is the viewer's own mode in the call, absent when not in it. */
  supervising?: SuperviseMode;
  supervisors: { name: string; mode: SuperviseMode }[];
}

/** Supervising is where the supervisor stands in a call after a step. */
export interface Supervising {
  entryId: string;
  callId: string;
  mode: SuperviseMode;
  since: string;
}

const enc = encodeURIComponent;

/** superviseApi steps the supervisor into and out of calls. */
export const superviseApi = {
  supervise: (entryId: string, mode: SuperviseMode, connId: string) =>
    api.post<Supervising>(`/desk/calls/${enc(entryId)}/supervise`, { mode, connId }),
  stop: (entryId: string) => api.del(`/desk/calls/${enc(entryId)}/supervise`),
};

/** modeNames are the modes as the desk names them. */
export const modeNames: Record<SuperviseMode, string> = { monitor: 'Monitor', whisper: 'Whisper', barge: 'Barge' };
