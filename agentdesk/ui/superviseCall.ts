// The supervisor's side of a call they step into from the live view
// (POST /desk/calls/{entryId}/supervise): the server joins the desk's
// connection to the call's room and offers it the call's media (rtc.offer),
// a stream per person it may hear, named by call.roster. Monitor hears and
// sees everyone and sends nothing anyone gets; Whisper is heard by the agent
// only; Barge is a party. The mode changes in place on the server, on the
// same peer connection: this side only turns its microphone (and, for
// Barge, its camera) on and off.
//
// The client is framework-free: it keeps a snapshot (view) and calls
// onChange after every change. It takes the rtc.*, call.roster and
// call.state messages of its call (handle) and leaves the rest.

import type { ClientMessage, RoomRosterData, RtcOfferData, ServerMessage } from '../../media/client/protocol';

/** SuperviseMode is how the supervisor is in the call. */
export type SuperviseMode = 'monitor' | 'whisper' | 'barge';

/** SupervisedStream is the media of one person in the call, as this desk receives it. */
export interface SupervisedStream {
  id: string;
  stream: MediaStream;
  /** name is who it is, from the roster ('' until the roster names the stream). */
  name: string;
  /** video says a video track arrives on it. */
  video: boolean;
}

/** SupervisedView is the supervised call as the live view shows it. */
export interface SupervisedView {
  entryId: string;
  callId: string;
  mode: SuperviseMode;
  /** phase: joining until media connects, live, ended (the call ended or the supervisor left). */
  phase: 'joining' | 'live' | 'ended';
  streams: SupervisedStream[];
  localStream: MediaStream | null;
  /** media is the peer connection's state. */
  media: RTCPeerConnectionState | 'none';
  /** notice says what is wrong without ending anything (no microphone, say). */
  notice: string;
  /** reason is why it ended. */
  reason: string;
}

export interface SupervisedCallOptions {
  send(m: ClientMessage): boolean;
  onChange(v: SupervisedView): void;
  /** getUserMedia, replaceable in tests. */
  gum?(c: MediaStreamConstraints): Promise<MediaStream>;
}

/** SupervisedCall is one call the supervisor is in. */
export class SupervisedCall {
  view: SupervisedView;
  private pc: RTCPeerConnection | null = null;
  private chain: Promise<void> = Promise.resolve();
  private pending: RTCIceCandidateInit[] = [];
  private roster: RoomRosterData | null = null;
  private media: Promise<MediaStream | null>;
  private closed = false;

  constructor(
    entryId: string,
    callId: string,
    mode: SuperviseMode,
    private opts: SupervisedCallOptions,
  ) {
    this.view = { entryId, callId, mode, phase: 'joining', streams: [], localStream: null, media: 'none', notice: '', reason: '' };
    this.media = this.localMedia();
  }

  /** setMode turns the microphone on for whisper and barge and the camera on for barge; the server changes the role. */
  setMode(mode: SuperviseMode) {
    this.patch({ mode });
    this.applyMode();
  }

  /** close ends this side: media off, peer connection closed. */
  close(reason = '') {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.view.localStream?.getTracks() ?? []) t.stop();
    this.pc?.close();
    this.patch({ phase: 'ended', media: this.pc ? 'closed' : 'none', reason });
  }

  /** handle takes a server message; it reports whether it was about this call. */
  handle(m: ServerMessage): boolean {
    switch (m.type) {
      case 'rtc.offer': {
        if (m.data?.callId !== this.view.callId || this.closed) return false;
        const offer = m.data;
        this.chain = this.chain.then(() => this.applyOffer(offer)).catch((e: unknown) => this.patch({ notice: `The call's media could not start: ${e instanceof Error ? e.message : String(e)}` }));
        return true;
      }
      case 'rtc.candidate': {
        if (m.data?.callId !== this.view.callId || this.closed || !m.data.candidate) return false;
        if (this.pc?.remoteDescription) this.pc.addIceCandidate(m.data.candidate).catch(() => {});
        else this.pending.push(m.data.candidate);
        return true;
      }
      case 'call.roster': {
        if (m.data?.callId !== this.view.callId || this.closed) return false;
        this.roster = m.data;
        this.patch({ streams: this.view.streams.map((s) => ({ ...s, name: this.nameOf(s.id) })) });
        return true;
      }
      case 'call.state': {
        if (m.data?.callId !== this.view.callId) return false;
        if (m.data.state === 'ended') this.close(m.data.reason || 'The call ended.');
        return true;
      }
    }
    return false;
  }

  private patch(p: Partial<SupervisedView>) {
    this.view = { ...this.view, ...p };
    this.opts.onChange(this.view);
  }

  private nameOf(stream: string): string {
    const m = this.roster?.members.find((x) => x.stream === stream) as { name?: string; id: string } | undefined;
    return m?.name ?? '';
  }

  /** localMedia gets the microphone and camera, both off until the mode needs them. */
  private async localMedia(): Promise<MediaStream | null> {
    const gum = this.opts.gum ?? ((c: MediaStreamConstraints) => navigator.mediaDevices.getUserMedia(c));
    let stream: MediaStream | null = null;
    try {
      stream = await gum({ audio: true, video: { width: { ideal: 640 }, height: { ideal: 480 } } });
    } catch {
      try {
        stream = await gum({ audio: true });
      } catch {
        this.patch({ notice: 'No microphone could be used: you can monitor, but nobody will hear you.' });
        return null;
      }
    }
    if (this.closed) {
      for (const t of stream.getTracks()) t.stop();
      return null;
    }
    this.patch({ localStream: stream });
    this.applyMode();
    return stream;
  }

  private applyMode() {
    const s = this.view.localStream;
    if (!s) return;
    for (const t of s.getAudioTracks()) t.enabled = this.view.mode !== 'monitor';
    for (const t of s.getVideoTracks()) t.enabled = this.view.mode === 'barge';
  }

  private async applyOffer(offer: RtcOfferData) {
    if (!offer?.sdp || this.closed) return;
    const local = await this.media;
    let pc = this.pc;
    if (!pc) {
      pc = new RTCPeerConnection({ iceServers: offer.iceServers ?? [] });
      this.pc = pc;
      // Local tracks first, so they take the offered send-receive lines.
      if (local) for (const t of local.getTracks()) pc.addTrack(t, local);
      const thePc = pc;
      pc.ontrack = (e) => this.addTrack(e.streams[0] ?? new MediaStream([e.track]), e.track);
      pc.onicecandidate = (e) => {
        if (e.candidate && !this.closed) this.opts.send({ type: 'rtc.candidate', data: { callId: this.view.callId, candidate: e.candidate.toJSON() } });
      };
      pc.onconnectionstatechange = () => {
        const st = thePc.connectionState;
        this.patch({ media: st, phase: st === 'connected' && this.view.phase === 'joining' ? 'live' : this.view.phase });
      };
    }
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    if (this.closed) return;
    this.opts.send({ type: 'rtc.answer', data: { callId: this.view.callId, sdp: pc.localDescription?.sdp ?? answer.sdp ?? '' } });
    const pending = this.pending;
    this.pending = [];
    for (const c of pending) await pc.addIceCandidate(c).catch(() => {});
  }

  /** addTrack shows a person's stream until its tracks are removed. */
  private addTrack(stream: MediaStream, track: MediaStreamTrack) {
    if (!stream.getTracks().includes(track)) stream.addTrack(track);
    const known = this.view.streams.find((s) => s.id === stream.id);
    if (known) {
      this.patch({ streams: this.view.streams.map((s) => (s.id === stream.id ? { ...s, video: stream.getVideoTracks().length > 0 } : s)) });
      return;
    }
    stream.onremovetrack = () => {
      if (stream.getTracks().length > 0) {
        this.patch({ streams: this.view.streams.map((s) => (s.id === stream.id ? { ...s, video: stream.getVideoTracks().length > 0 } : s)) });
        return;
      }
      this.patch({ streams: this.view.streams.filter((s) => s.id !== stream.id) });
    };
    this.patch({ streams: [...this.view.streams, { id: stream.id, stream, name: this.nameOf(stream.id), video: stream.getVideoTracks().length > 0 }] });
  }
}
