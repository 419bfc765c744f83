// The signaling protocol (v1) spoken over /api/v1/ws. Every message is an
// envelope {"type", "v": 1, "data"?}. The data of each message, and the
// unions of the messages each side sends, are generated from the Go structs
// that build and decode them (messages.gen.ts, go generate ./media/...);
// this file adds the names the apps use for parts of them.

import type {
  AgentState,
  CallStateData,
  CobrowseEntry,
  CobrowseEvents,
  CobrowseNavigate,
  CobrowsePoint,
  PresenceData,
  ServerMessage,
  ShopperContext,
} from './messages.gen';

export type * from './messages.gen';

/** PROTOCOL_VERSION goes in every message's "v". */
export const PROTOCOL_VERSION = 1;

/** PresenceState is how reachable a party is right now. */
export type PresenceState = PresenceData['state'];

/** CallPhase is a call's state as the server reports it in "call.state". */
export type CallPhase = CallStateData['state'];

/** CallOutcome is how a call ended (or why it went to the mailbox). */
export type CallOutcome = NonNullable<CallStateData['outcome']>;

/** QueueContext is what an agent's desk shows about a waiting shopper: never a birth date. */
export type QueueContext = ShopperContext;

/** AgentStateData is "agent.state": the agent's own state changed. */
export type AgentStateData = AgentState;

/** AgentStateName is an agent's routing state. */
export type AgentStateName = AgentState['state'];

/** CobrowseData is any co-browse message's data: entryId plus the fields of its type. */
export type CobrowseData = CobrowseEntry &
  Partial<Omit<CobrowseEvents, 'entryId'> & Omit<CobrowseNavigate, 'entryId'> & Omit<CobrowsePoint, 'entryId'>>;

/** isServerMessage checks the envelope of a parsed frame. */
export function isServerMessage(x: unknown): x is ServerMessage {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as { type?: unknown; v?: unknown };
  return typeof m.type === 'string' && typeof m.v === 'number';
}
