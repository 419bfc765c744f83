// generated — do not edit: the Go structs in media/tsproto.Payloads are the
// source; change them and run go generate ./media/... (go run ./media/cmd/tsproto).
//
// The data of every signaling message (media/SIGNALING.md), one interface
// per Go struct that builds or decodes it, and the messages each side sends.

/**
 * SetPresenceData is the data of "presence.set": the member's chosen state.
 *
 * Go: directory.SetPresenceData.
 */
export interface SetPresenceData {
  state: 'available' | 'away';
}

/**
 * DialData is the data of "call.dial": a number to call (with context
 * when it is a store's sales number), or the queue entry an agent calls
 * back. Video false is a voice call; Avatar hides the caller's camera.
 * Message leaves a message for the member at Number without ringing them
 * (the caller's offer after "that member's region cannot be reached":
 * it is kept here and delivered when their region can be reached).
 *
 * Go: directory.DialData.
 */
export interface DialData {
  number?: string;
  video: boolean;
  avatar?: boolean;
  message?: boolean;
  context?: DialContext;
  callback?: string;
}

/**
 * CallRef is the data of the messages that only name a call:
 * "call.answer", "call.decline", "call.hangup" and "call.video.request".
 *
 * Go: directory.CallRef.
 */
export interface CallRef {
  callId: string;
}

/**
 * RtcAnswerData is the data of "rtc.answer": the device's SDP answer to
 * the server's "rtc.offer".
 *
 * Go: directory.RtcAnswerData.
 */
export interface RtcAnswerData {
  callId: string;
  sdp: string;
}

/**
 * RtcCandidateData is the data of "rtc.candidate", either way: one
 * trickled ICE candidate of a call's media connection.
 *
 * Go: media.RtcCandidateData.
 */
export interface RtcCandidateData {
  callId: string;
  candidate: RTCIceCandidateInit;
}

/**
 * VideoChoiceData is the data of "call.video.request" (no Accept) and
 * "call.video.response", relayed between the two sides of a call.
 *
 * Go: directory.VideoChoiceData.
 */
export interface VideoChoiceData {
  callId: string;
  accept?: boolean;
}

/**
 * QueueChooseData is the data of "queue.choose": a waiting shopper's
 * answer to "queue.fallback".
 *
 * Go: directory.QueueChooseData.
 */
export interface QueueChooseData {
  callId: string;
  choice: 'message' | 'callback' | 'wait';
}

/**
 * InviteData is the data of "call.invite": a party of a member's answered
 * call adds the member at Number (12 digits, spaces allowed).
 *
 * Go: directory.InviteData.
 */
export interface InviteData {
  callId: string;
  number: string;
}

/**
 * CobrowseEntry is the data of "cobrowse.request", "cobrowse.start" and
 * "cobrowse.stop", both ways.
 *
 * Go: agentdesk.CobrowseEntry.
 */
export interface CobrowseEntry {
  entryId: string;
}

/**
 * CobrowseEvents is the data of "cobrowse.events", both ways: a batch of
 * rrweb events ({type, data, timestamp}), cleaned by the server.
 *
 * Go: agentdesk.CobrowseEvents.
 */
export interface CobrowseEvents {
  entryId: string;
  events: unknown[];
}

/**
 * CobrowseNavigate is the data of "cobrowse.navigate": a mall page the
 * agent opens for the shopper.
 *
 * Go: agentdesk.CobrowseNavigate.
 */
export interface CobrowseNavigate {
  entryId: string;
  path: string;
}

/**
 * CobrowsePoint is the data of "cobrowse.point": a spot on the shopper's
 * viewport, each coordinate a fraction from 0 to 1.
 *
 * Go: agentdesk.CobrowsePoint.
 */
export interface CobrowsePoint {
  entryId: string;
  x: number;
  y: number;
}

/**
 * BoardDrawData is the data of "board.draw": a stroke (Points, Color,
 * Width), a line of text (Text, X, Y, Color) or a product card by SKU (X, Y).
 *
 * Go: agentdesk.BoardDrawData.
 */
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

/**
 * BoardEraseData is the data of "board.erase".
 *
 * Go: agentdesk.BoardEraseData.
 */
export interface BoardEraseData {
  entryId: string;
  itemId: number;
}

/**
 * HelloData is the data of "hello", the first message on every connection.
 *
 * Go: media.HelloData.
 */
export interface HelloData {
  accountId: string;
  deviceId: string;
  /** Node is the server node holding this connection. */
  node: string;
  /**
   * ConnID names this connection: an HTTP request that acts through it
   * names it (a supervisor stepping into a call from the desk).
   */
  connId: string;
  /** Guest says the connection belongs to a mall guest, not a member. */
  guest: boolean;
  /**
   * HeartbeatSeconds is how often the device must send "heartbeat"; the
   * slice that keeps presence fills it in (see Signaling.HelloField).
   */
  heartbeatSeconds: number;
}

/**
 * ErrorData is the data of "error": the JSON error body of the HTTP API
 * plus the type of the message it answers, so a client with several
 * messages in flight knows which one was refused.
 *
 * Go: media.ErrorData.
 */
export interface ErrorData {
  code: string;
  message: string;
  /** For is the type of the message this error answers ("" for none). */
  for?: string;
}

/**
 * PresenceData is the data of "presence": a watched member's state changed.
 *
 * Go: directory.PresenceData.
 */
export interface PresenceData {
  accountId: string;
  state: 'available' | 'busy' | 'away' | 'push' | 'offline';
}

/**
 * CallStateData is the data of "call.state": a call moved. Pointer fields
 * are absent from states that do not carry them and present (even when
 * zero) in those that do.
 *
 * Go: directory.CallStateData.
 */
export interface CallStateData {
  callId: string;
  state: 'ringing' | 'queued' | 'callback' | 'active' | 'mailbox' | 'recording' | 'ended';
  peer?: CallParty;
  video?: boolean;
  /** Outcome is how the call ended, or why it went to the mailbox. */
  outcome?: 'answered' | 'declined' | 'no_answer' | 'busy' | 'offline' | 'cancelled' | 'failed';
  reason?: string;
  /** Greeting is the text of the callee's greeting (mailbox state). */
  greeting?: string;
  /** MaxSeconds is the longest message the mailbox records. */
  maxSeconds?: number;
  /** OwnGreeting says the caller records their own greeting. */
  ownGreeting?: boolean;
  /** EntryID names the queue entry (the engagement) of a call to a store. */
  entryId?: string;
  /** Position is the shopper's place in the store's queue (1 = next). */
  position?: number;
  /** WaitSeconds is the estimated wait in the queue. */
  waitSeconds?: number;
  /** Store is the store whose queue the call waits in. */
  store?: StoreRef;
}

/**
 * CallIncomingData is the data of "call.incoming": this device rings.
 * Avatar says the caller hides behind an avatar; Queue is the contact
 * center's offer (agentdesk.QueueOffer) when a store's shopper is offered
 * to an agent.
 *
 * Go: directory.CallIncomingData.
 */
export interface CallIncomingData {
  callId: string;
  from: CallParty;
  video: boolean;
  avatar: boolean;
  queue?: QueueOffer;
  /**
   * Conference is set when a party of a call in progress adds this
   * member to it (call.invite): answering joins the call.
   */
  conference?: ConferenceData;
}

/**
 * QueueFallbackData is the data of "queue.fallback": no agent can take the
 * shopper's call now, and these are the shopper's choices.
 *
 * Go: agentdesk.QueueFallbackData.
 */
export interface QueueFallbackData {
  callId: string;
  entryId: string;
  reason: 'no_agents' | 'max_wait';
  choices: ('message' | 'callback' | 'wait')[];
}

/**
 * QueueCallbackData is the data of "queue.callback": a shopper who asked
 * for a call back is this agent's to call now.
 *
 * Go: agentdesk.QueueCallbackData.
 */
export interface QueueCallbackData {
  entryId: string;
  shopper: CallbackShopper;
  context: ShopperContext;
}

/**
 * QueueChangedData is the data of "queue.changed" to a store's staff: how
 * many shoppers its line holds now.
 *
 * Go: agentdesk.QueueChangedData.
 */
export interface QueueChangedData {
  store: string;
  waiting: number;
}

/**
 * AgentState is an agent's routing state. IdleSince orders the available
 * agents: the one idle longest is offered the next shopper.
 *
 * Go: agentdesk.AgentState.
 */
export interface AgentState {
  state: 'offline' | 'available' | 'ringing' | 'on_call' | 'wrap_up' | 'away';
  since: string;
  wrapUntil?: string;
  entryId?: string;
}

/**
 * BoardItemData is the data of "board.item", sent to both parties: an
 * item as stored.
 *
 * Go: agentdesk.BoardItemData.
 */
export interface BoardItemData {
  entryId: string;
  item: BoardItem;
}

/**
 * BoardErasedData is the data of "board.erased", sent to both parties.
 *
 * Go: agentdesk.BoardErasedData.
 */
export interface BoardErasedData {
  entryId: string;
  itemId: number;
}

/**
 * CreditUpdate is the data of "credit.update": where a credit application
 * of an engagement stands, as both parties of the call and the store's
 * supervisors may see it. It carries no answer of the applicant's except
 * the limit they ask for, which the agent needs to sell against.
 *
 * Go: mall.CreditUpdate.
 */
export interface CreditUpdate {
  applicationId: string;
  entryId: string;
  store: string;
  state: 'sent' | 'submitted' | 'approved' | 'declined';
  step: 'opened' | 'filling' | 'filled' | 'signed';
  filled: string[];
  requestedLimitMinor: number;
  limitMinor: number;
  currency: string;
  /** Automatic says the store's rules decided, not a supervisor. */
  automatic: boolean;
  reason: string;
}

/**
 * RtcOfferData is the data of "rtc.offer": the server's SDP offer for one
 * device's media connection. The participant fills SDP; the call fills
 * CallID and the short-lived TURN servers.
 *
 * Go: media.RtcOfferData.
 */
export interface RtcOfferData {
  callId: string;
  sdp: string;
  iceServers?: RTCIceServer[];
}

/**
 * RoomRosterData is the data of "call.roster", sent to each participant
 * with a role whenever what it may know of the room changes: its own role
 * and the others it may know of. A party knows the other parties and a
 * whisperer whispering to it, never a listener; a listener or whisperer
 * knows everyone. The call fills CallID.
 *
 * Go: media.RoomRosterData.
 */
export interface RoomRosterData {
  callId: string;
  /** Role is the receiving device's own role. */
  role: 'party' | 'listener' | 'whisperer';
  members: RosterMember[];
}

/**
 * InvitedData is the data of "call.invited", sent to the parties of a
 * call: how adding someone stands. Message says it in words ("Sam did not
 * answer").
 *
 * Go: directory.InvitedData.
 */
export interface InvitedData {
  callId: string;
  name: string;
  display: string;
  state: 'ringing' | 'joined' | 'declined' | 'no_answer' | 'busy' | 'offline';
  message: string;
}

/**
 * MailboxCountData is the data of "mailbox.count": the member's unheard
 * messages changed.
 *
 * Go: directory.MailboxCountData.
 */
export interface MailboxCountData {
  accountId: string;
  unheard: number;
}

/**
 * CallTransferData is "call.transfer", sent to the shopper and to the
 * agents while a call moves: connecting (the target rings; the shopper is
 * on hold), consulting (warm: the agents talk), connected (the target has
 * the shopper), returned (the target did not take it: the shopper is back
 * with the first agent; Note says why), queued (back in a store's line),
 * transferred (to the first agent: the call is no longer theirs).
 *
 * Go: directory.CallTransferData.
 */
export interface CallTransferData {
  callId: string;
  transferId?: string;
  state: 'connecting' | 'consulting' | 'connected' | 'returned' | 'queued' | 'transferred';
  mode?: 'warm' | 'cold';
  to?: string;
  note?: string;
  /**
   * Taking marks the message to the target of the transfer (who is
   * taking the call over) rather than to the agent handing it on.
   */
  taking?: boolean;
}

/**
 * QueueOffer is the queue part of "call.incoming" on an agent's desk: the
 * shopper the contact center offers this agent, and for how long it rings.
 *
 * Go: agentdesk.QueueOffer.
 */
export interface QueueOffer {
  entryId: string;
  store: StoreRef;
  ringSeconds: number;
  context: ShopperContext;
}

/**
 * DialContext is what a shopper's call to a store says about them: the
 * product they called from, and the capability token of the appointment
 * they booked with the store when the call is that booked call (the queue
 * then rings the agent they booked first; a token that does not check out
 * is ignored, never refused).
 *
 * Go: directory.DialContext.
 */
export interface DialContext {
  productId?: number;
  appointment?: string;
}

/**
 * CallParty names the other side of a call: Number is 12 digits and
 * Display the same grouped 4-4-4, both absent when the side has no number.
 *
 * Go: directory.CallParty.
 */
export interface CallParty {
  name: string;
  number?: string;
  display?: string;
}

/**
 * StoreRef names a store in messages: its slug (for links) and name.
 *
 * Go: media.StoreRef.
 */
export interface StoreRef {
  slug: string;
  name: string;
}

/**
 * ConferenceData tells a ringing member that the call is one in progress
 * they are added to: who adds them and who is in it.
 *
 * Go: directory.ConferenceData.
 */
export interface ConferenceData {
  invitedBy: string;
  members: string[];
}

/**
 * CallbackShopper is the shopper of a call back: a member with their
 * number (12 digits, and grouped 4-4-4 in Display), or a guest.
 *
 * Go: agentdesk.CallbackShopper.
 */
export interface CallbackShopper {
  name: string;
  number?: string;
  display?: string;
  guest: boolean;
}

/**
 * ShopperContext is what the agent's desk is shown about a shopper: the
 * product they called from, their cart, and verified facts — never their
 * birth date.
 *
 * Go: agentdesk.ShopperContext.
 */
export interface ShopperContext {
  product?: ContextProduct;
  cart: ContextCart;
  member: boolean;
  facts: ContextFacts;
  /** Booking is present when the call is a video call the shopper booked. */
  booking?: ContextBooking;
  /**
   * Transfer is present when another agent transferred the shopper
   * (transfer.go): who, from which store, and why.
   */
  transfer?: ContextTransfer;
}

/**
 * BoardItem is one thing on a whiteboard. Positions are fractions from 0 to
 * 1 of the board's width and height, so both parties' boards agree
 * whatever their size.
 *
 * Go: agentdesk.BoardItem.
 */
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

/**
 * RosterMember is one participant in a "call.roster".
 *
 * Go: media.RosterMember.
 */
export interface RosterMember {
  /**
   * ID is the member's participant id in the room, opaque ("caller",
   * "callee", "p3", …): never a connection or account id.
   */
  id: string;
  role: 'party' | 'listener' | 'whisperer';
  /**
   * Name is how the member is shown ("Sam Lee", "Noor, supervisor");
   * the call that owns the room fills it in ("" until it does).
   */
  name?: string;
  /**
   * Stream is the id of the MediaStream the device receives this
   * member's media on ("" when it receives none from them); the first
   * stream of the connection may carry a different member after the
   * one it carried leaves.
   */
  stream?: string;
  /** WhisperTo names whom a whisperer whispers to. */
  whisperTo?: string;
}

/**
 * ContextProduct is the product a shopper called from.
 *
 * Go: agentdesk.ContextProduct.
 */
export interface ContextProduct {
  id: number;
  name: string;
  sku: string;
  priceMinor: number;
  currency: string;
  image: string;
  ageLimit: number;
  path: string;
}

/**
 * ContextCart is the shopper's cart when they called.
 *
 * Go: agentdesk.ContextCart.
 */
export interface ContextCart {
  lines: ContextLine[];
  totalMinor: number;
  currency: string;
}

/**
 * ContextFacts are verified facts about a member shopper.
 *
 * Go: agentdesk.ContextFacts.
 */
export interface ContextFacts {
  over18?: boolean;
  over21?: boolean;
  emailVerified?: boolean;
}

/**
 * ContextBooking says a call is a booked appointment: when its slot
 * starts, the name the shopper booked under, and which agent it was
 * booked with.
 *
 * Go: agentdesk.ContextBooking.
 */
export interface ContextBooking {
  startsAt: string;
  name: string;
  agentId: string;
  agentName: string;
}

/**
 * ContextTransfer is on the ring card of a transferred shopper: who sent
 * them, from which store, and why.
 *
 * Go: agentdesk.ContextTransfer.
 */
export interface ContextTransfer {
  from: string;
  fromStore: string;
  reason: string;
  mode: 'warm' | 'cold' | 'queue';
}

/**
 * BoardProduct is a product card on a board, as the catalog describes it.
 *
 * Go: agentdesk.BoardProduct.
 */
export interface BoardProduct {
  sku: string;
  name: string;
  priceMinor: number;
  currency: string;
  image: string;
  path: string;
}

/**
 * ContextLine is one line of the cart.
 *
 * Go: agentdesk.ContextLine.
 */
export interface ContextLine {
  productId: number;
  name: string;
  quantity: number;
  unitPriceMinor: number;
}

/** ServerMessage is any message the server sends. */
export type ServerMessage =
  | { type: 'hello'; v: number; data: HelloData }
  | { type: 'pong'; v: number; data?: undefined }
  | { type: 'error'; v: number; data: ErrorData }
  | { type: 'presence'; v: number; data: PresenceData }
  | { type: 'call.state'; v: number; data: CallStateData }
  | { type: 'call.incoming'; v: number; data: CallIncomingData }
  | { type: 'queue.fallback'; v: number; data: QueueFallbackData }
  | { type: 'queue.callback'; v: number; data: QueueCallbackData }
  | { type: 'queue.changed'; v: number; data: QueueChangedData }
  | { type: 'agent.state'; v: number; data: AgentState }
  | { type: 'cobrowse.request'; v: number; data: CobrowseEntry }
  | { type: 'cobrowse.start'; v: number; data: CobrowseEntry }
  | { type: 'cobrowse.events'; v: number; data: CobrowseEvents }
  | { type: 'cobrowse.navigate'; v: number; data: CobrowseNavigate }
  | { type: 'cobrowse.point'; v: number; data: CobrowsePoint }
  | { type: 'cobrowse.stop'; v: number; data: CobrowseEntry }
  | { type: 'board.item'; v: number; data: BoardItemData }
  | { type: 'board.erased'; v: number; data: BoardErasedData }
  | { type: 'credit.update'; v: number; data: CreditUpdate }
  | { type: 'rtc.offer'; v: number; data: RtcOfferData }
  | { type: 'rtc.candidate'; v: number; data: RtcCandidateData }
  | { type: 'call.roster'; v: number; data: RoomRosterData }
  | { type: 'call.invited'; v: number; data: InvitedData }
  | { type: 'call.video.request'; v: number; data: VideoChoiceData }
  | { type: 'call.video.response'; v: number; data: VideoChoiceData }
  | { type: 'mailbox.count'; v: number; data: MailboxCountData }
  | { type: 'call.transfer'; v: number; data: CallTransferData };

/** ClientMessage is any message the client may send (v is added on send). */
export type ClientMessage =
  | { type: 'ping' }
  | { type: 'heartbeat' }
  | { type: 'presence.set'; data: SetPresenceData }
  | { type: 'directory.watch' }
  | { type: 'call.dial'; data: DialData }
  | { type: 'call.answer'; data: CallRef }
  | { type: 'call.decline'; data: CallRef }
  | { type: 'call.hangup'; data: CallRef }
  | { type: 'rtc.answer'; data: RtcAnswerData }
  | { type: 'rtc.candidate'; data: RtcCandidateData }
  | { type: 'call.video.request'; data: CallRef }
  | { type: 'call.video.response'; data: VideoChoiceData }
  | { type: 'queue.choose'; data: QueueChooseData }
  | { type: 'call.invite'; data: InviteData }
  | { type: 'cobrowse.request'; data: CobrowseEntry }
  | { type: 'cobrowse.start'; data: CobrowseEntry }
  | { type: 'cobrowse.events'; data: CobrowseEvents }
  | { type: 'cobrowse.navigate'; data: CobrowseNavigate }
  | { type: 'cobrowse.point'; data: CobrowsePoint }
  | { type: 'cobrowse.stop'; data: CobrowseEntry }
  | { type: 'board.draw'; data: BoardDrawData }
  | { type: 'board.erase'; data: BoardEraseData };
