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
  /** for is the type of the message this error answers, when it answers one. */
  for?: string;
}

// ---------- calls ----------

/** CallPhase is a call's state as the server reports it in "call.state". */
export type CallPhase = 'ringing' | 'queued' | 'callback' | 'active' | 'mailbox' | 'recording' | 'ended';

/** CallOutcome is how a call ended (or why it went to the mailbox). */
export type CallOutcome = 'answered' | 'declined' | 'no_answer' | 'busy' | 'offline' | 'cancelled' | 'failed';

/** CallParty names the other side of a call. */
export interface CallParty {
  name: string;
  /** number is 12 digits; display is the same grouped 4-4-4. */
  number?: string;
  display?: string;
}

/** CallStateData is "call.state": a call moved (to either side, and to ringing devices). */
export interface CallStateData {
  callId: string;
  state: CallPhase;
  peer?: CallParty;
  video?: boolean;
  outcome?: CallOutcome;
  reason?: string;
  /** greeting is the text of the callee's greeting (mailbox state). */
  greeting?: string;
  /** maxSeconds is the longest message the mailbox records. */
  maxSeconds?: number;
  /** entryId names the queue entry (the engagement) of a call to a store. */
  entryId?: string;
  /** position is the shopper's place in the store's queue (1 = next). */
  position?: number;
  /** waitSeconds is the estimated wait in the queue. */
  waitSeconds?: number;
  /** store is the store whose queue the call waits in. */
  store?: { slug: string; name: string };
}

/** QueueContext is what an agent's desk shows about a waiting shopper: never a birth date. */
export interface QueueContext {
  product?: { id: number; name: string; sku: string; priceMinor: number; currency: string; image: string; ageLimit: number; path: string };
  cart: { lines: { productId: number; name: string; quantity: number; unitPriceMinor: number }[]; totalMinor: number; currency: string };
  member: boolean;
  facts: { over18?: boolean; over21?: boolean; emailVerified?: boolean };
}

/** QueueOffer is the queue part of "call.incoming" on an agent's desk. */
export interface QueueOffer {
  entryId: string;
  store: { slug: string; name: string };
  ringSeconds: number;
  context: QueueContext;
}

/** QueueFallbackData is "queue.fallback": no agent can take the call now. */
export interface QueueFallbackData {
  callId: string;
  entryId: string;
  reason: 'no_agents' | 'max_wait';
  choices: ('message' | 'callback' | 'wait')[];
}

/** QueueCallbackData is "queue.callback": a shopper this agent should call back now. */
export interface QueueCallbackData {
  entryId: string;
  shopper: { name: string; number?: string; display?: string; guest: boolean };
  context: QueueContext;
}

/** AgentStateName is an agent's routing state. */
export type AgentStateName = 'offline' | 'available' | 'ringing' | 'on_call' | 'wrap_up' | 'away';

/** AgentStateData is "agent.state": the agent's own state changed. */
export interface AgentStateData {
  state: AgentStateName;
  since: string;
  wrapUntil?: string;
  entryId?: string;
}

/** CobrowseData is every co-browse message: entryId plus its own fields. */
export interface CobrowseData {
  entryId: string;
  events?: unknown[];
  path?: string;
  x?: number;
  y?: number;
}

/** BoardProduct is a product card on a whiteboard, filled from the catalog. */
export interface BoardProduct {
  sku: string;
  name: string;
  priceMinor: number;
  currency: string;
  image: string;
  path: string;
}

/** BoardItem is one item on an engagement's whiteboard; x, y and points are fractions 0–1 of the board. */
export interface BoardItem {
  id: number;
  kind: 'stroke' | 'text' | 'product';
  author: 'shopper' | 'agent';
  color?: string;
  width?: number;
  points?: [number, number][];
  text?: string;
  x: number;
  y: number;
  product?: BoardProduct;
  createdAt: string;
}

/** BoardDrawData is "board.draw": a stroke, a line of text, or a product card by SKU. */
export interface BoardDrawData {
  entryId: string;
  kind: 'stroke' | 'text' | 'product';
  color?: string;
  width?: number;
  points?: [number, number][];
  text?: string;
  x?: number;
  y?: number;
  sku?: string;
}

/** CallIncomingData is "call.incoming": this device rings. */
export interface CallIncomingData {
  callId: string;
  from: CallParty;
  video: boolean;
  avatar?: boolean;
  /** queue is set when a store's shopper is offered to this agent. */
  queue?: QueueOffer;
}

/** RtcOfferData is the server's SDP offer for this device's media connection. */
export interface RtcOfferData {
  callId: string;
  sdp: string;
  iceServers?: RTCIceServer[];
}

/** RtcCandidateData is one trickled ICE candidate, either way. */
export interface RtcCandidateData {
  callId: string;
  candidate: RTCIceCandidateInit;
}

/** MailboxCountData is the live message-waiting count. */
export interface MailboxCountData {
  accountId: string;
  unheard: number;
}

/** DialData is "call.dial": video=false is a voice call; avatar hides the caller's camera. */
export interface DialData {
  number?: string;
  video: boolean;
  avatar?: boolean;
  /** context goes with a call to a store's sales number. */
  context?: { productId?: number };
  /** callback is the queue entry an agent calls back. */
  callback?: string;
}

/** ServerMessage is any message the server sends. */
export type ServerMessage =
  | { type: 'hello'; v: number; data: HelloData }
  | { type: 'presence'; v: number; data: PresenceData }
  | { type: 'error'; v: number; data: ErrorData }
  | { type: 'pong'; v: number; data?: undefined }
  | { type: 'call.state'; v: number; data: CallStateData }
  | { type: 'call.incoming'; v: number; data: CallIncomingData }
  | { type: 'rtc.offer'; v: number; data: RtcOfferData }
  | { type: 'rtc.candidate'; v: number; data: RtcCandidateData }
  | { type: 'call.video.request'; v: number; data: { callId: string } }
  | { type: 'call.video.response'; v: number; data: { callId: string; accept: boolean } }
  | { type: 'mailbox.count'; v: number; data: MailboxCountData }
  | { type: 'queue.fallback'; v: number; data: QueueFallbackData }
  | { type: 'queue.callback'; v: number; data: QueueCallbackData }
  | { type: 'queue.changed'; v: number; data: { store: string; waiting: number } }
  | { type: 'agent.state'; v: number; data: AgentStateData }
  | { type: 'cobrowse.request' | 'cobrowse.start' | 'cobrowse.events' | 'cobrowse.navigate' | 'cobrowse.point' | 'cobrowse.stop'; v: number; data: CobrowseData }
  | { type: 'board.item'; v: number; data: { entryId: string; item: BoardItem } }
  | { type: 'board.erased'; v: number; data: { entryId: string; itemId: number } };

/** ClientMessage is any message the client may send (v is added on send). */
export type ClientMessage =
  | { type: 'heartbeat' }
  | { type: 'presence.set'; data: { state: 'available' | 'away' } }
  | { type: 'directory.watch' }
  | { type: 'ping' }
  | { type: 'call.dial'; data: DialData }
  | { type: 'call.answer' | 'call.decline' | 'call.hangup' | 'call.video.request'; data: { callId: string } }
  | { type: 'call.video.response'; data: { callId: string; accept: boolean } }
  | { type: 'rtc.answer'; data: { callId: string; sdp: string } }
  | { type: 'rtc.candidate'; data: RtcCandidateData }
  | { type: 'queue.choose'; data: { callId: string; choice: 'message' | 'callback' | 'wait' } }
  | { type: 'cobrowse.request' | 'cobrowse.start' | 'cobrowse.events' | 'cobrowse.navigate' | 'cobrowse.point' | 'cobrowse.stop'; data: CobrowseData }
  | { type: 'board.draw'; data: BoardDrawData }
  | { type: 'board.erase'; data: { entryId: string; itemId: number } };

/** isServerMessage checks the envelope of a parsed frame. */
export function isServerMessage(x: unknown): x is ServerMessage {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as { type?: unknown; v?: unknown };
  return typeof m.type === 'string' && typeof m.v === 'number';
}
