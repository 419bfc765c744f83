// The signaling protocol (v1) spoken over /api/v1/ws. Every message is an
// envelope {"type", "v": 1, "data"?}; these types mirror media/signaling.go.

/** PROTOCOL_VERSION goes in every message's "v". */
export const PROTOCOL_VERSION = 1;

/** PresenceState is how reachable a party is right now. */
export type PresenceState = 'available' | 'busy' | 'away' | 'offline';

/** HelloData is the server's greeting after the upgrade. */
export interface HelloData {
  accountId: string;
  deviceId: string;
  /** node is the server node holding this connection. */
  node: string;
  /** heartbeatSeconds is how often the client must send "heartbeat". */
  heartbeatSeconds: number;
}

/** PresenceData tells a watcher that a member's state changed. */
export interface PresenceData {
  accountId: string;
  state: PresenceState;
}

/** ErrorData is the server's complaint about something the client sent. */
export interface ErrorData {
  code: string;
  message: string;
}

/** ServerMessage is any message the server sends. */
export type ServerMessage =
  | { type: 'hello'; v: number; data: HelloData }
  | { type: 'presence'; v: number; data: PresenceData }
  | { type: 'error'; v: number; data: ErrorData }
  | { type: 'pong'; v: number; data?: undefined };

/** ClientMessage is any message the client may send (v is added on send). */
export type ClientMessage =
  | { type: 'heartbeat' }
  | { type: 'presence.set'; data: { state: 'available' | 'away' } }
  | { type: 'directory.watch' }
  | { type: 'ping' };

/** isServerMessage checks the envelope of a parsed frame. */
export function isServerMessage(x: unknown): x is ServerMessage {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as { type?: unknown; v?: unknown };
  return typeof m.type === 'string' && typeof m.v === 'number';
}
