// The WebRTC call client every livemall web app shares. It speaks the call
// half of the signaling protocol (call.*, rtc.*) over a signaling client and
// owns the one RTCPeerConnection of the current call.
//
// The server is the other end of every media connection (it forwards between
// the two sides, plays the greeting and records messages), and the SERVER
// makes the offer: the caller gets its rtc.offer right after dialing, the
// callee after answering. The client adds its local tracks first, so they
// take the offered sendrecv m-lines, then answers and trickles candidates.
//
// The client is framework-free: it keeps a snapshot of the call and the
// ringing calls and calls onChange after every change.

import type {
  CallOutcome,
  CallParty,
  CallPhase,
  CallStateData,
  ClientMessage,
  ConferenceData,
  DialData,
  InvitedData,
  QueueFallbackData,
  QueueOffer,
  RoomRosterData,
  RosterMember,
  RtcOfferData,
  ServerMessage,
} from './protocol';

/** CallMode is what this side sends: camera and microphone, the microphone only, or the microphone behind an avatar. */
export type CallMode = 'video' | 'voice' | 'avatar';

export type CallRole = 'caller' | 'callee';

/** QueueChoice is what a queued caller picks when no agent can take the call. */
export type QueueChoice = QueueFallbackData['choices'][number];

/** QueueView is where a call to a store's sales number stands in the store's queue. */
export interface QueueView {
  entryId: string;
  /** position is the place in line (1 = next); 0 while unknown. */
  position: number;
  /** waitSeconds is the server's estimate of the wait. */
  waitSeconds: number;
  store: { slug: string; name: string } | null;
  /** fallback is set while the caller is offered other ways (message, callback, wait). */
  fallback: { reason: QueueFallbackData['reason']; choices: QueueChoice[] } | null;
  /** chosen is the caller's last answer to a fallback. */
  chosen: QueueChoice | null;
}

/**
 * CallView is the current call as the screens show it. phase "dialing" is
 * between call.dial and the server's first word about the call; "answering"
 * is the callee's side between call.answer and "active".
 */
export interface CallView {
  id: string | null;
  role: CallRole;
  mode: CallMode;
  phase: 'dialing' | 'answering' | CallPhase;
  peer: CallParty;
  /** video says whether the call was placed as a video call. */
  video: boolean;
  localStream: MediaStream | null;
  remoteStream: MediaStream | null;
  /**
   * others are the streams of further participants in a call of several
   * (the first remote party stays on remoteStream), in arrival order.
   */
  others: RemoteStream[];
  /** roster is the latest call.roster: this device's role and whom it may know of. */
  roster: RoomRosterData | null;
  /** remoteVideoLive is true while frames arrive on the remote video track. */
  remoteVideoLive: boolean;
  /** sendingVideo is true while this side's camera goes out. */
  sendingVideo: boolean;
  muted: boolean;
  /** media is the peer connection's state. */
  media: RTCPeerConnectionState | 'none';
  connectedAt: number | null;
  recordingAt: number | null;
  maxSeconds: number;
  greeting: string;
  outcome: CallOutcome | null;
  reason: string;
  /** error is why the call could not be placed or went wrong. */
  error: string;
  /** notice is a note that does not end the call (no camera, say). */
  notice: string;
  /** videoAsked: (caller behind an avatar or voice) the callee asks to see them. */
  videoAsked: boolean;
  /** videoAsk: (callee) where asking the caller for video stands. */
  videoAsk: 'none' | 'waiting' | 'accepted' | 'declined';
  endedAt: number | null;
  /** queue is set once the call waits in (or came through) a store's queue. */
  queue: QueueView | null;
  /** offer is the queue part of the call.incoming this device answered (an agent's desk). */
  offer: QueueOffer | null;
  /** peerAvatar: (callee) the caller called behind an avatar. */
  peerAvatar: boolean;
  /**
   * lost is set when the call ended because the connection was lost: the
   * signaling socket dropped, or the media stopped for longer than a short
   * grace (the node hosting the call's room died, say). The screen says
   * "Connection lost" and offers to call back (canCallBack, callBack).
   */
  lost: boolean;
  /**
   * held: the call is on hold while it is transferred to another agent
   * ("call.transfer" connecting or consulting): nothing arrives, and that
   * is not a lost connection.
   */
  held: boolean;
  /** invites are the members this call is ringing to add (call.invite), oldest first. */
  invites: InviteView[];
  /** inviteError is why the last call.invite was refused ("" when it was not). */
  inviteError: string;
  /**
   * canLeaveMessage: the dial failed because the member's region cannot be
   * reached right now, and the server offers to keep a message for them
   * (leaveMessage dials again to record it).
   */
  canLeaveMessage: boolean;
  /** mainStreamId is the server's id of the stream remoteStream carries (the roster names whose it is). */
  mainStreamId: string | null;
}

/** InviteView is a member being rung to join the call (call.invited "ringing"). */
export interface InviteView {
  name: string;
  display: string;
  at: number;
}

/**
 * RemoteStream is the media of one more participant of a call of several:
 * each sender after the first arrives on a MediaStream of its own, added
 * by the server's renegotiation. member is who it is, from the latest
 * call.roster (null until the roster names the stream).
 */
export interface RemoteStream {
  id: string;
  stream: MediaStream;
  member: RosterMember | null;
}

/** IncomingCall is a call ringing this device. */
export interface IncomingCall {
  callId: string;
  from: CallParty;
  video: boolean;
  /** avatar: the caller calls behind an avatar. */
  avatar: boolean;
  /** queue is set when a store's shopper is offered to this agent. */
  queue?: QueueOffer;
  /** conference is set when a party of a call in progress adds this member to it. */
  conference?: ConferenceData;
  at: number;
}

/** MissedCall is a ringing call that stopped before it was answered here. */
export interface MissedCall {
  from: CallParty;
  reason: string;
  at: number;
}

export interface CallSnapshot {
  call: CallView | null;
  incoming: IncomingCall[];
  missed: MissedCall | null;
}

export interface CallClientOptions {
  /** send puts a message on the signaling socket; false means it is not open. */
  send(msg: ClientMessage): boolean;
  /** onChange is called after every change of the snapshot. */
  onChange(snap: CallSnapshot): void;
  /** getUserMedia is replaceable for tests. */
  getUserMedia?(c: MediaStreamConstraints): Promise<MediaStream>;
}

interface Internal {
  view: CallView;
  pc: RTCPeerConnection | null;
  /** media resolves to the local stream (or null when none could be had). */
  media: Promise<MediaStream | null>;
  pendingCandidates: RTCIceCandidateInit[];
  /** offers are applied one after the other. */
  chain: Promise<void>;
  closed: boolean;
  /** dialed is what this side dialed (a caller), to dial it again after a lost connection. */
  dialed: DialData | null;
  /** lostTimer ends the call when the media stays disconnected past lostGrace. */
  lostTimer: ReturnType<typeof setTimeout> | null;
  /** wasConnected: the media connected once (a failure after that is a lost connection). */
  wasConnected: boolean;
  /** watch reads the inbound packet count every second while the call is active. */
  watch: ReturnType<typeof setInterval> | null;
}

/**
 * lostGrace is how long the media may stay "disconnected" before the call
 * is taken for lost. Chromium reports disconnected about 2.5 s after the
 * last packet; a short network blip recovers well within this.
 */
export const lostGrace = 3_500;

/**
 * silenceGrace is how long an active call may receive no packet at all
 * before it is taken for lost. Both sides always send audio while a call
 * is active (a muted microphone sends silence), so nothing arriving means
 * the path through the node is gone; ICE notices only after several
 * seconds more (Chromium: about 7 s).
 */
export const silenceGrace = 3_000;

/**
 * firstMediaGrace is how long an active call may wait for the other side's
 * first packet: a phone opened from a pushed ring may still be opening its
 * camera (or asking for permission) when the call turns active. Silence
 * after media flowed is silenceGrace's.
 */
export const firstMediaGrace = 20_000;

/** lostText is what a call that lost its connection says. */
export const lostText = 'Connection lost';

/**
 * canCallBack reports whether an ended call can be called again with
 * callBack: it lost its connection, and this side dialed it or knows the
 * other side's number.
 */
export function canCallBack(v: Pick<CallView, 'lost' | 'phase' | 'role' | 'peer'>): boolean {
  return v.lost && v.phase === 'ended' && (v.role === 'caller' || !!v.peer.number);
}

const videoConstraints: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24 } };

/** outcomeText says in words how a call ended, from the caller's or callee's side. */
export function outcomeText(v: Pick<CallView, 'outcome' | 'reason' | 'role' | 'peer' | 'error' | 'lost'>): string {
  if (v.lost) return lostText;
  if (v.error) return v.error;
  const name = v.peer.name || 'They';
  switch (v.reason) {
    case 'message left':
      return 'Your message was sent.';
    case 'the message reached its maximum length':
      return 'Your message reached the maximum length and was sent.';
    case 'answered on another device':
      return 'Answered on another device.';
  }
  switch (v.outcome) {
    case 'answered':
      return 'Call ended.';
    case 'cancelled':
      return v.role === 'caller' ? 'Call cancelled.' : `${name} hung up.`;
    case 'declined':
      return v.role === 'caller' ? `${name} declined.` : 'Declined.';
    case 'no_answer':
      return 'No answer.';
    case 'busy':
      return `${name} is busy.`;
    case 'offline':
      return `${name} is offline.`;
    case 'failed':
      return v.reason ? `The call failed: ${v.reason}.` : 'The call failed.';
  }
  return v.reason ? capitalize(v.reason) + '.' : 'Call ended.';
}

/**
 * isMainLine says whether a transceiver is the connection's first of its
 * kind: the lines this side sends on, which carry the first remote party.
 */
function isMainLine(pc: RTCPeerConnection, t: RTCRtpTransceiver): boolean {
  const kind = t.receiver.track.kind;
  return pc.getTransceivers().find((x) => x.receiver.track.kind === kind) === t;
}

/** mainMember is who the first remote stream carries, from the roster (null while unknown). */
export function mainMember(v: Pick<CallView, 'roster' | 'mainStreamId'>): RosterMember | null {
  return v.mainStreamId ? memberOn(v.roster, v.mainStreamId) : null;
}

/** memberOn is the roster's member whose media comes on the stream, or null. */
function memberOn(roster: RoomRosterData | null, stream: string): RosterMember | null {
  return roster?.members.find((m) => m.stream === stream) ?? null;
}

function emptyQueue(entryId: string): QueueView {
  return { entryId, position: 0, waitSeconds: 0, store: null, fallback: null, chosen: null };
}

function capitalize(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

/** CallClient places, answers and carries calls. */
export class CallClient {
  private cur: Internal | null = null;
  private incoming: IncomingCall[] = [];
  private missed: MissedCall | null = null;
  private dismissTimer: ReturnType<typeof setTimeout> | null = null;
  /** unnamedCancels counts dials hung up before the server named their call. */
  private unnamedCancels = 0;
  /** forgotten are calls cancelled that way; later messages about them are ignored. */
  private readonly forgotten = new Set<string>();
  private readonly opts: CallClientOptions;
  private readonly gum: (c: MediaStreamConstraints) => Promise<MediaStream>;

  constructor(opts: CallClientOptions) {
    this.opts = opts;
    this.gum = opts.getUserMedia ?? ((c) => navigator.mediaDevices.getUserMedia(c));
  }

  /** pc is the current call's peer connection (tests read its stats). */
  get pc(): RTCPeerConnection | null {
    return this.cur?.pc ?? null;
  }

  snapshot(): CallSnapshot {
    return { call: this.cur ? { ...this.cur.view } : null, incoming: [...this.incoming], missed: this.missed };
  }

  private changed() {
    this.opts.onChange(this.snapshot());
  }

  private patch(c: Internal, p: Partial<CallView>) {
    if (this.cur !== c) return;
    c.view = { ...c.view, ...p };
    this.changed();
  }

  // ---------- placing and answering ----------

  /**
   * dial calls a number. peer is what the screen shows until the server says
   * more; context goes with a call to a store's sales number (the product the
   * shopper asks about).
   */
  dial(number: string, mode: CallMode, peer: CallParty, context?: DialData['context']): void {
    const data: DialData = { number, video: mode === 'video', avatar: mode === 'avatar' };
    if (context) data.context = context;
    this.place(data, mode, peer);
  }

  /** dialCallback calls back the shopper of a store's queue entry (call.dial {callback}). */
  dialCallback(entryId: string, mode: CallMode, peer: CallParty): void {
    this.place({ callback: entryId, video: mode === 'video' }, mode, peer);
  }

  private place(data: DialData, mode: CallMode, peer: CallParty): void {
    if (this.cur && !this.cur.closed) return;
    this.clearDismiss();
    const c = this.begin('caller', null, mode, peer, mode === 'video');
    c.view.phase = 'dialing';
    c.dialed = data;
    const sent = this.opts.send({ type: 'call.dial', data });
    if (!sent) {
      this.finish(c, { error: 'The phone is not connected right now. Try again in a moment.' }, true);
      return;
    }
    this.changed();
  }

  /** answer picks up a ringing call, with the camera or voice only. */
  answer(callId: string, withVideo: boolean): void {
    const ring = this.incoming.find((i) => i.callId === callId);
    if (!ring) return;
    if (this.cur && !this.cur.closed) this.hangup();
    this.clearDismiss();
    this.incoming = this.incoming.filter((i) => i.callId !== callId);
    const c = this.begin('callee', callId, withVideo ? 'video' : 'voice', ring.from, ring.video);
    c.view.phase = 'answering';
    c.view.offer = ring.queue ?? null;
    c.view.peerAvatar = ring.avatar;
    this.changed();
    if (!this.opts.send({ type: 'call.answer', data: { callId } })) {
      this.finish(c, { error: 'The phone is not connected right now.' }, true);
    }
  }

  /**
   * invite adds the member at number (12 digits) to the answered call: their
   * devices ring; the parties hear how it goes as call.invited.
   */
  invite(number: string): void {
    const c = this.cur;
    if (!c || c.closed || !c.view.id || c.view.phase !== 'active') return;
    if (!this.opts.send({ type: 'call.invite', data: { callId: c.view.id, number } })) {
      this.patch(c, { inviteError: 'The phone is not connected right now. Try again in a moment.' });
      return;
    }
    this.patch(c, { inviteError: '' });
  }

  /** decline sends a ringing caller to the mailbox. */
  decline(callId: string): void {
    if (!this.incoming.some((i) => i.callId === callId)) return;
    this.incoming = this.incoming.filter((i) => i.callId !== callId);
    this.opts.send({ type: 'call.decline', data: { callId } });
    this.changed();
  }

  /** hangup ends the current call: cancels it while ringing, finishes a message in the mailbox. */
  hangup(): void {
    const c = this.cur;
    if (!c || c.closed) return;
    const phase = c.view.phase;
    const outcome: CallOutcome | null =
      phase === 'dialing' || phase === 'queued' || (phase === 'ringing' && c.view.role === 'caller')
        ? 'cancelled'
        : phase === 'active'
          ? 'answered'
          : null;
    const reason =
      phase === 'mailbox' || phase === 'recording'
        ? 'message left'
        : phase === 'active'
          ? 'hung up'
          : phase === 'queued'
            ? 'left the queue'
            : '';
    this.finish(c, { outcome, reason });
  }

  /**
   * chooseInQueue answers a queue.fallback: leave a message, be called back
   * (which ends this call and keeps the place in line) or keep waiting.
   */
  chooseInQueue(choice: QueueChoice): void {
    const c = this.cur;
    if (!c || c.closed || !c.view.id || !c.view.queue) return;
    if (!this.opts.send({ type: 'queue.choose', data: { callId: c.view.id, choice } })) {
      this.patch(c, { notice: 'The connection is down right now. Try again in a moment.' });
      return;
    }
    this.patch(c, { queue: { ...c.view.queue, fallback: null, chosen: choice }, notice: '' });
  }

  /**
   * callBack calls again after the connection was lost (see canCallBack):
   * the caller dials what it dialed, the callee dials the caller's number,
   * in the same mode.
   */
  callBack(): void {
    const c = this.cur;
    if (!c || !c.closed || !canCallBack(c.view)) return;
    const v = c.view;
    if (v.role === 'caller' && c.dialed) {
      this.place(c.dialed, v.mode, v.peer);
    } else if (v.peer.number) {
      this.dial(v.peer.number, v.mode === 'avatar' ? 'voice' : v.mode, v.peer);
    }
  }

  /**
   * leaveMessage dials the number again to leave a message (call.dial with
   * message): after a dial refused with canLeaveMessage, the room opens
   * straight into recording, and the message is delivered when the
   * member's region can be reached.
   */
  leaveMessage(): void {
    const c = this.cur;
    if (!c || !c.closed || !c.view.canLeaveMessage || !c.dialed) return;
    this.place({ ...c.dialed, message: true }, c.view.mode, c.view.peer);
  }

  /** dismiss closes the screen of an ended call. */
  dismiss(): void {
    if (this.cur && !this.cur.closed) return;
    this.clearDismiss();
    this.cur = null;
    this.changed();
  }

  /** dismissMissed forgets the missed-call note. */
  dismissMissed(): void {
    this.missed = null;
    this.changed();
  }

  toggleMute(): void {
    const c = this.cur;
    if (!c || c.closed) return;
    const muted = !c.view.muted;
    for (const t of c.view.localStream?.getAudioTracks() ?? []) t.enabled = !muted;
    this.patch(c, { muted });
  }

  /** setCamera turns this side's camera on or off (getting one if the call started without). */
  async setCamera(on: boolean): Promise<void> {
    const c = this.cur;
    if (!c || c.closed) return;
    let track = c.view.localStream?.getVideoTracks()[0] ?? null;
    if (on && !track) {
      let s: MediaStream;
      try {
        s = await this.gum({ video: videoConstraints });
      } catch {
        this.patch(c, { notice: 'The camera could not be started.' });
        return;
      }
      track = s.getVideoTracks()[0] ?? null;
      if (!track) return;
      if (this.cur !== c || c.closed) {
        track.stop();
        return;
      }
      c.view = { ...c.view, localStream: new MediaStream([...(c.view.localStream?.getTracks() ?? []), track]) };
    }
    if (!track) return;
    track.enabled = on;
    const sender = this.videoSender(c);
    if (on && sender && sender.track !== track) await sender.replaceTrack(track);
    this.patch(c, { sendingVideo: on, notice: '', mode: on && c.view.mode === 'avatar' ? 'video' : c.view.mode });
  }

  /** askForVideo (callee) asks a caller who sends no video to show it. */
  askForVideo(): void {
    const c = this.cur;
    if (!c || c.closed || !c.view.id || c.view.phase !== 'active') return;
    this.opts.send({ type: 'call.video.request', data: { callId: c.view.id } });
    this.patch(c, { videoAsk: 'waiting' });
  }

  /** answerVideoRequest (caller) shows live video or stays hidden. */
  answerVideoRequest(accept: boolean): void {
    const c = this.cur;
    if (!c || c.closed || !c.view.id) return;
    this.opts.send({ type: 'call.video.response', data: { callId: c.view.id, accept } });
    this.patch(c, { videoAsked: false });
    if (accept) void this.setCamera(true);
  }

  /**
   * signalLost ends everything: the server hangs up a device's calls when
   * its socket closes, and a socket that closed under a call may have lost
   * the node hosting its room.
   */
  signalLost(): void {
    const c = this.cur;
    if (c && !c.closed) this.finish(c, { lost: true, reason: 'connection lost' }, true);
    if (this.incoming.length) {
      this.incoming = [];
      this.changed();
    }
  }

  /** destroy releases the camera and the connection (sign-out, page leaving). */
  destroy(): void {
    const c = this.cur;
    if (c && !c.closed) {
      if (c.view.id) this.opts.send({ type: 'call.hangup', data: { callId: c.view.id } });
      this.release(c);
    }
    this.clearDismiss();
    this.cur = null;
    this.incoming = [];
  }

  // ---------- server messages ----------

  /** handle takes every server message and reports whether it was about calls. */
  handle(m: ServerMessage): boolean {
    switch (m.type) {
      case 'call.incoming': {
        const d = m.data;
        if (!d?.callId || this.incoming.some((i) => i.callId === d.callId) || this.cur?.view.id === d.callId) return true;
        const ring: IncomingCall = { callId: d.callId, from: d.from ?? { name: 'Someone' }, video: !!d.video, avatar: !!d.avatar, at: Date.now() };
        if (d.queue) ring.queue = d.queue;
        if (d.conference) ring.conference = d.conference;
        this.incoming = [...this.incoming, ring];
        this.changed();
        return true;
      }
      case 'call.state': {
        const d = m.data;
        if (!d?.callId) return true;
        const ring = this.incoming.find((i) => i.callId === d.callId);
        if (ring && d.state === 'ended') {
          this.incoming = this.incoming.filter((i) => i !== ring);
          if (d.reason !== 'answered on another device' && d.reason !== 'declined') {
            this.missed = { from: ring.from, reason: d.reason ?? '', at: Date.now() };
          }
          this.changed();
          return true;
        }
        const c = this.adopt(d.callId);
        if (c) this.onState(c, d);
        return true;
      }
      case 'rtc.offer': {
        const c = this.adopt(m.data?.callId);
        if (c && !c.closed) {
          const offer = m.data;
          c.chain = c.chain.then(() => this.applyOffer(c, offer)).catch((e: unknown) => {
            this.finish(c, { error: `The media connection could not start: ${e instanceof Error ? e.message : String(e)}` });
          });
        }
        return true;
      }
      case 'rtc.candidate': {
        const c = this.adopt(m.data?.callId);
        if (!c || c.closed || !m.data.candidate) return true;
        if (c.pc?.remoteDescription) {
          c.pc.addIceCandidate(m.data.candidate).catch(() => {});
        } else {
          c.pendingCandidates.push(m.data.candidate);
        }
        return true;
      }
      case 'call.roster': {
        const c = this.adopt(m.data?.callId);
        if (c && !c.closed) {
          const roster = m.data;
          this.patch(c, { roster, others: c.view.others.map((o) => ({ ...o, member: memberOn(roster, o.id) })) });
        }
        return true;
      }
      case 'call.invited': {
        const c = this.adopt(m.data?.callId);
        if (c && !c.closed) this.onInvited(c, m.data);
        return true;
      }
      case 'queue.fallback': {
        const d = m.data;
        const c = this.adopt(d?.callId);
        if (!c || c.closed) return true;
        const q = c.view.queue ?? emptyQueue(d.entryId);
        const choices = (Array.isArray(d.choices) ? d.choices : []).filter((x) => x === 'message' || x === 'callback' || x === 'wait');
        this.patch(c, { queue: { ...q, entryId: d.entryId || q.entryId, fallback: { reason: d.reason, choices }, chosen: null } });
        return true;
      }
      case 'call.transfer': {
        const c = this.adopt(m.data?.callId);
        const d = m.data;
        if (c && !c.closed) this.patch(c, { held: !d.taking && (d.state === 'connecting' || d.state === 'consulting') });
        return true;
      }
      case 'call.video.request': {
        const c = this.adopt(m.data?.callId);
        if (c && !c.closed) this.patch(c, { videoAsked: true });
        return true;
      }
      case 'call.video.response': {
        const c = this.adopt(m.data?.callId);
        if (c && !c.closed) this.patch(c, { videoAsk: m.data.accept ? 'accepted' : 'declined' });
        return true;
      }
      case 'error': {
        // An error right after dialing is the dial's (nobody has the number,
        // your own number, too many calls) when it answers call.dial: the
        // desk dialing a call back asks to co-browse at once, and that
        // refusal, sent straight back, can overtake the call's first
        // message, which comes over NATS.
        const c = this.cur;
        const answers = m.data?.for;
        // A hang-up the room never got (it ended, or its node is gone) has
        // nothing to tell the person: the call is over here already.
        if (answers === 'call.hangup') return true;
        if (answers === 'call.invite' && c && !c.closed) {
          this.patch(c, { inviteError: m.data?.message || 'That person could not be added.' });
          return true;
        }
        if (c && !c.closed && c.view.phase === 'dialing' && c.view.id === null && (!answers || answers === 'call.dial')) {
          const message: string = m.data?.message || 'The call could not be placed.';
          const canLeaveMessage = m.data?.code === 'unavailable' && /leave a message\?$/.test(message) && !!c.dialed?.number && !c.dialed.message;
          this.finish(c, { error: message, canLeaveMessage }, true);
          return true;
        }
        return false;
      }
    }
    return false;
  }

  /** adopt returns the current call if the message is about it; a caller's first message names the call. */
  private adopt(callId: string | undefined): Internal | null {
    if (!callId || this.forgotten.has(callId)) return null;
    const c = this.cur;
    if (c && c.view.id === callId) return c;
    if (c && c.view.id === null && c.view.role === 'caller' && !c.closed) {
      c.view = { ...c.view, id: callId };
      return c;
    }
    if (this.unnamedCancels > 0) {
      // A call hung up here before the server named it: cancel it now.
      this.unnamedCancels--;
      this.forgotten.add(callId);
      this.opts.send({ type: 'call.hangup', data: { callId } });
    }
    return null;
  }

  /** onInvited follows someone being added: ringing shows them; any other state says how it went. */
  private onInvited(c: Internal, d: InvitedData) {
    const rest = c.view.invites.filter((i) => i.display !== d.display);
    if (d.state === 'ringing') {
      this.patch(c, { invites: [...rest, { name: d.name, display: d.display, at: Date.now() }], inviteError: '' });
      return;
    }
    this.patch(c, { invites: rest, notice: d.message });
    // How it went is news for a moment, not for the rest of the call.
    setTimeout(() => {
      if (this.cur === c && !c.closed && c.view.notice === d.message) this.patch(c, { notice: '' });
    }, 6_000);
  }

  private onState(c: Internal, d: CallStateData) {
    if (c.closed) {
      // Hung up here already: take the server's word for how it ended.
      if (d.state === 'ended') {
        const p: Partial<CallView> = {};
        if (d.outcome) p.outcome = d.outcome;
        if (d.reason) p.reason = d.reason;
        this.patch(c, p);
      }
      return;
    }
    const p: Partial<CallView> = { phase: d.state };
    if (d.peer?.name) p.peer = { ...c.view.peer, ...d.peer };
    if (typeof d.video === 'boolean') p.video = d.video;
    if (d.outcome) p.outcome = d.outcome;
    if (d.reason) p.reason = d.reason;
    if (d.greeting) p.greeting = d.greeting;
    if (d.maxSeconds) p.maxSeconds = d.maxSeconds;
    if (d.entryId || d.state === 'queued' || d.state === 'callback') {
      const q = c.view.queue ?? emptyQueue(d.entryId ?? '');
      p.queue = {
        ...q,
        entryId: d.entryId || q.entryId,
        position: typeof d.position === 'number' ? d.position : q.position,
        waitSeconds: typeof d.waitSeconds === 'number' ? d.waitSeconds : q.waitSeconds,
        store: d.store ?? q.store,
        // An offer of other ways stands until answered or the call moves on.
        fallback: d.state === 'queued' ? q.fallback : null,
      };
    }
    switch (d.state) {
      case 'active':
        p.connectedAt = c.view.connectedAt ?? Date.now();
        break;
      case 'recording':
        p.recordingAt = Date.now();
        break;
      case 'callback':
      case 'ended':
        this.finish(c, p, true);
        return;
    }
    this.patch(c, p);
  }

  // ---------- media ----------

  private begin(role: CallRole, id: string | null, mode: CallMode, peer: CallParty, video: boolean): Internal {
    const view: CallView = {
      id,
      role,
      mode,
      phase: 'dialing',
      peer,
      video,
      localStream: null,
      remoteStream: null,
      others: [],
      roster: null,
      remoteVideoLive: false,
      sendingVideo: false,
      muted: false,
      media: 'none',
      connectedAt: null,
      recordingAt: null,
      maxSeconds: 180,
      greeting: '',
      outcome: null,
      reason: '',
      error: '',
      notice: '',
      videoAsked: false,
      videoAsk: 'none',
      endedAt: null,
      queue: null,
      offer: null,
      peerAvatar: false,
      lost: false,
      canLeaveMessage: false,
      held: false,
      invites: [],
      inviteError: '',
      mainStreamId: null,
    };
    const c: Internal = {
      view,
      pc: null,
      media: Promise.resolve(null),
      pendingCandidates: [],
      chain: Promise.resolve(),
      closed: false,
      dialed: null,
      lostTimer: null,
      wasConnected: false,
      watch: null,
    };
    this.cur = c;
    c.media = this.localMedia(c, mode);
    return c;
  }

  /** localMedia gets the microphone (and camera for video), falling back to the microphone alone. */
  private async localMedia(c: Internal, mode: CallMode): Promise<MediaStream | null> {
    let stream: MediaStream | null = null;
    let notice = '';
    if (mode === 'video') {
      try {
        stream = await this.gum({ audio: true, video: videoConstraints });
      } catch {
        notice = 'No camera could be used, so you are sending voice only.';
      }
    }
    if (!stream) {
      try {
        stream = await this.gum({ audio: true });
      } catch (e) {
        const denied = e instanceof DOMException && (e.name === 'NotAllowedError' || e.name === 'SecurityError');
        this.finish(c, {
          error: denied ? 'Allow this page to use your microphone to make calls.' : 'No microphone could be used for the call.',
        });
        return null;
      }
    }
    if (this.cur !== c || c.closed) {
      for (const t of stream.getTracks()) t.stop();
      return null;
    }
    this.patch(c, { localStream: stream, sendingVideo: stream.getVideoTracks().length > 0, notice });
    return stream;
  }

  private videoSender(c: Internal): RTCRtpSender | null {
    const t = c.pc?.getTransceivers().find((x) => x.receiver.track.kind === 'video');
    return t?.sender ?? null;
  }

  private async applyOffer(c: Internal, offer: RtcOfferData) {
    if (!offer?.sdp) return;
    const got = await c.media;
    if (!got || this.cur !== c || c.closed) return;
    // The camera may have been turned on while it rang.
    const stream = c.view.localStream ?? got;
    let pc = c.pc;
    if (!pc) {
      pc = new RTCPeerConnection({ iceServers: offer.iceServers ?? [] });
      c.pc = pc;
      const remote = new MediaStream();
      c.view = { ...c.view, remoteStream: remote };
      // Local tracks first, so they take the offered sendrecv m-lines.
      for (const t of stream.getTracks()) pc.addTrack(t, stream);
      const thePc = pc;
      pc.ontrack = (e) => {
        const track = e.track;
        if (!isMainLine(thePc, e.transceiver)) {
          this.addOther(c, e.streams[0] ?? new MediaStream([track]));
          return;
        }
        if (!remote.getTracks().includes(track)) remote.addTrack(track);
        const mainStreamId = e.streams[0]?.id ?? c.view.mainStreamId;
        if (track.kind === 'video') {
          const live = () => this.patch(c, { remoteVideoLive: !track.muted && track.readyState === 'live' });
          track.onmute = live;
          track.onunmute = live;
          track.onended = live;
          live();
        }
        this.patch(c, { remoteStream: remote, mainStreamId });
      };
      pc.onicecandidate = (e) => {
        if (e.candidate && c.view.id && !c.closed) {
          this.opts.send({ type: 'rtc.candidate', data: { callId: c.view.id, candidate: e.candidate.toJSON() } });
        }
      };
      pc.onconnectionstatechange = () => {
        const s = thePc.connectionState;
        this.patch(c, { media: s });
        if (c.closed) return;
        if (s === 'connected') {
          c.wasConnected = true;
          this.clearLost(c);
        } else if (s === 'failed' && !c.wasConnected) {
          this.finish(c, { error: 'The media connection failed, so the call ended.' });
        } else if (s === 'failed') {
          this.connectionLost(c);
        } else if (s === 'disconnected' && c.lostTimer === null) {
          // The media stopped: the other side's network, or the node that
          // carries the call, is gone. A blip comes back within the grace.
          c.lostTimer = setTimeout(() => {
            c.lostTimer = null;
            if (thePc.connectionState !== 'connected') this.connectionLost(c);
          }, lostGrace);
        }
      };
      this.watchInbound(c, pc);
    }
    // A re-offer (a call of several gained or lost a sender) goes to the
    // same connection: only the server offers, one offer at a time.
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    // The first audio and video m-line we have no track for yet (voice,
    // avatar) still answers sendrecv, so a camera turned on later needs no
    // renegotiation. Further lines only receive.
    for (const t of pc.getTransceivers()) {
      if (t.direction === 'recvonly' && isMainLine(pc, t)) t.direction = 'sendrecv';
    }
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    if (this.cur !== c || c.closed || !c.view.id) return;
    this.opts.send({ type: 'rtc.answer', data: { callId: c.view.id, sdp: pc.localDescription?.sdp ?? answer.sdp ?? '' } });
    const pending = c.pendingCandidates;
    c.pendingCandidates = [];
    for (const cand of pending) await pc.addIceCandidate(cand).catch(() => {});
  }

  /** addOther shows the stream of one more participant, until its tracks are removed. */
  private addOther(c: Internal, stream: MediaStream) {
    if (c.view.others.some((o) => o.id === stream.id)) {
      this.patch(c, { others: [...c.view.others] });
      return;
    }
    stream.onremovetrack = () => {
      if (stream.getTracks().length > 0) return;
      this.patch(c, { others: c.view.others.filter((o) => o.stream !== stream) });
    };
    this.patch(c, { others: [...c.view.others, { id: stream.id, stream, member: memberOn(c.view.roster, stream.id) }] });
  }

  /**
   * finish closes the call here (media off) and keeps its screen for a
   * moment. Unless the server already knows (fromServer), it is told: a
   * call it has named gets call.hangup now, one it has not yet named gets
   * it as soon as its first message names it.
   */
  private finish(c: Internal, p: Partial<CallView>, fromServer = false) {
    if (c.closed) {
      this.patch(c, p);
      return;
    }
    c.closed = true;
    if (!fromServer) {
      if (c.view.id) this.opts.send({ type: 'call.hangup', data: { callId: c.view.id } });
      else if (c.view.role === 'caller') this.unnamedCancels++;
    }
    this.release(c);
    // A call that ends in a promised call back keeps that phase (and its
    // screen, until dismissed): the shopper's place in line lives on.
    const phase = p.phase === 'callback' && !p.error ? 'callback' : 'ended';
    c.view = { ...c.view, ...p, phase, endedAt: Date.now(), videoAsked: false, media: c.pc ? 'closed' : 'none' };
    if (this.cur === c) {
      this.changed();
      this.clearDismiss();
      // The summary stays a few seconds, longer when something went wrong;
      // a lost call stays until closed or called back.
      if (phase === 'ended' && !c.view.lost && !c.view.canLeaveMessage) this.dismissTimer = setTimeout(() => this.dismiss(), c.view.error ? 12_000 : 5_000);
    }
  }

  /**
   * connectionLost ends a call whose media stopped. The room is told (it may
   * be alive, with only this side's network gone); a room that is gone makes
   * the node that takes the hang-up look for the dead node's calls.
   */
  private connectionLost(c: Internal) {
    this.finish(c, { lost: true, reason: 'connection lost' });
  }

  /**
   * watchInbound ends an active call that receives nothing for silenceGrace
   * (firstMediaGrace before the first packet).
   */
  private watchInbound(c: Internal, pc: RTCPeerConnection) {
    let last = -1;
    let since = 0;
    let reading = false;
    c.watch = setInterval(() => {
      if (c.closed || reading) return;
      if (c.view.phase !== 'active' || !c.wasConnected || c.view.held) {
        last = -1;
        return;
      }
      reading = true;
      pc.getStats()
        .then((stats) => {
          let packets = 0;
          stats.forEach((r) => {
            if (r.type === 'inbound-rtp') packets += (r as RTCInboundRtpStreamStats).packetsReceived ?? 0;
          });
          const now = Date.now();
          if (packets !== last) {
            last = packets;
            since = now;
          } else if (now - since >= (packets === 0 ? firstMediaGrace : silenceGrace) && !c.closed) {
            this.connectionLost(c);
          }
        })
        .catch(() => {})
        .finally(() => {
          reading = false;
        });
    }, 1_000);
  }

  private clearLost(c: Internal) {
    if (c.lostTimer !== null) clearTimeout(c.lostTimer);
    c.lostTimer = null;
  }

  private release(c: Internal) {
    this.clearLost(c);
    if (c.watch !== null) clearInterval(c.watch);
    c.watch = null;
    for (const t of c.view.localStream?.getTracks() ?? []) t.stop();
    c.media.then((s) => {
      if (this.cur !== c || c.closed) for (const t of s?.getTracks() ?? []) t.stop();
    });
    if (c.pc) {
      c.pc.ontrack = null;
      c.pc.onicecandidate = null;
      c.pc.onconnectionstatechange = null;
      c.pc.close();
    }
  }

  private clearDismiss() {
    if (this.dismissTimer !== null) clearTimeout(this.dismissTimer);
    this.dismissTimer = null;
  }
}
