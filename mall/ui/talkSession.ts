// The shopper's conversation with a store's sales agents, as one object that
// lives as long as the page: the mall is a single-page app, so a call placed
// on a product page goes on while the shopper browses other pages. The
// signaling socket opens only when the shopper starts a call (a guest who is
// only looking opens none) and closes when the call panel is closed.

import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { api } from '../../backend/web/ui/api';
import { CallClient, type CallMode, type CallSnapshot, type CallView } from '../../media/client/call';
import type { ClientMessage, DialContext, ServerMessage } from '../../media/client/protocol';
import { connectSignaling, type Signaling, type SignalingState } from '../../media/client/signaling';
import type { CobrowseHost } from './cobrowse';

/** TalkTarget is whom the shopper calls and about what. */
export interface TalkTarget {
  store: { slug: string; name: string; salesNumber: string; salesDisplay?: string; brandColor?: string };
  /**
   * product is the product the shopper clicked; absent from a store page. Its
   * id goes with the call when the catalog API gives one.
   */
  product?: { id?: number; sku: string; name: string };
  /**
   * appointment is the capability token of the booking this call joins: it
   * goes with the call, so the store's queue rings the agent it was booked
   * with first (a token the server cannot use is ignored there).
   */
  appointment?: string;
}

/** TalkState is what the call panel shows. */
export interface TalkState {
  /** target is null while the panel is closed. */
  target: TalkTarget | null;
  mode: CallMode;
  /** connecting is true between "Start video call" and the open socket. */
  connecting: boolean;
  /** error is why the call could not even be placed (no connection). */
  error: string;
  snap: CallSnapshot;
  /** last is the last call seen, kept after the call client forgets an ended call. */
  last: CallView | null;
  signal: SignalingState | 'idle';
  /** minimized folds the panel to its header while the shopper browses. */
  minimized: boolean;
}

/** connectWithin is how long a start waits for the socket before giving up. */
const connectWithin = 15_000;

const emptySnap: CallSnapshot = { call: null, incoming: [], missed: null };

/** TalkSession owns the mall's socket and call client while the panel is open. */
export class TalkSession {
  /** cobrowse is the page's sharing with the agent, started when a call reaches one. */
  constructor(private readonly cobrowse: CobrowseHost) {}

  private state: TalkState = { target: null, mode: 'video', connecting: false, error: '', snap: emptySnap, last: null, signal: 'idle', minimized: false };
  private readonly listeners = new Set<(s: TalkState) => void>();
  private signaling: Signaling | null = null;
  private client: CallClient | null = null;
  private pendingDial = false;
  private giveUp: ReturnType<typeof setTimeout> | null = null;

  /** current is the state now. */
  get current(): TalkState {
    return this.state;
  }

  /** subscribe calls fn after every change and returns the unsubscribe. */
  subscribe(fn: (s: TalkState) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  private set(p: Partial<TalkState>) {
    this.state = { ...this.state, ...p };
    for (const fn of this.listeners) fn(this.state);
  }

  private readonly messageListeners = new Set<(m: ServerMessage) => void>();

  /** listen hears every server message of the panel's socket (the whiteboard follows its own); it returns the unsubscribe. */
  listen(fn: (m: ServerMessage) => void): () => void {
    this.messageListeners.add(fn);
    return () => {
      this.messageListeners.delete(fn);
    };
  }

  /** send sends a message on the panel's socket; false while it is not open. */
  send(msg: ClientMessage): boolean {
    return this.signaling?.send(msg) ?? false;
  }

  /** callClient is the client of the open panel (null while closed). */
  get callClient(): CallClient | null {
    return this.client;
  }

  /** busy says whether a call is in progress (ringing, queued, connected, recording). */
  get busy(): boolean {
    const c = this.state.snap.call;
    return this.state.connecting || (c !== null && c.phase !== 'ended' && c.phase !== 'callback');
  }

  /**
   * start opens the panel and calls the store's sales number as soon as the
   * socket is open. While another call is in progress it only shows the panel.
   */
  start(target: TalkTarget, mode: CallMode): void {
    if (this.busy) return;
    this.client?.dismiss();
    this.set({ target, mode, error: '', last: null, connecting: true, minimized: false });
    void this.connectThenDial();
  }

  private async connectThenDial() {
    if (!this.signaling) {
      // The server knows a guest's socket by the mall's guest cookie, which a
      // guest who only looked around does not have yet.
      await api.post('/guest', {}).catch(() => undefined);
      if (!this.state.target || !this.state.connecting) return;
      this.ensureConnected();
    }
    if (this.signaling?.state === 'open') this.dial();
    else this.waitForSocket();
  }

  /** setMinimized folds the panel to its header or opens it again. */
  setMinimized(minimized: boolean): void {
    if (this.state.target) this.set({ minimized });
  }

  /** retry places the same call again after a failure. */
  retry(): void {
    const t = this.state.target;
    if (t) this.start(t, this.state.mode);
  }

  /** close hides the panel; a call still in progress is hung up first. */
  close(): void {
    this.client?.hangup();
    this.teardown();
    this.set({ target: null, connecting: false, error: '', snap: emptySnap, last: null, signal: 'idle', minimized: false });
  }

  private ensureConnected() {
    if (this.signaling && this.client) return;
    const client = new CallClient({
      send: (m) => this.signaling?.send(m) ?? false,
      onChange: (snap) => this.onSnap(snap),
    });
    this.client = client;
    this.signaling = connectSignaling({
      onState: (s) => this.onSignal(s),
      onMessage: (m) => this.onMessage(m),
    });
  }

  private onSnap(snap: CallSnapshot) {
    this.set({ snap, last: snap.call ?? this.state.last });
    // Share the page with the agent while a store call is active.
    const c = snap.call;
    const entryId = c?.phase === 'active' ? c.queue?.entryId : undefined;
    const sharing = this.cobrowse.current;
    if (entryId && (!sharing || sharing.view.entryId !== entryId)) this.cobrowse.start(entryId, (m) => this.signaling?.send(m) ?? false, c?.peer.name);
    // A call transferred to a colleague keeps its sharing: it names them.
    else if (entryId && sharing && c?.peer.name) sharing.renameAgent(c.peer.name);
    else if (!entryId && sharing && sharing.view.state !== 'stopped') this.cobrowse.stop();
  }

  private onSignal(s: SignalingState) {
    // The server hangs up a device's calls when its socket closes.
    if (s === 'reconnecting') this.client?.signalLost();
    this.set({ signal: s });
  }

  private onMessage(m: ServerMessage) {
    for (const fn of this.messageListeners) fn(m);
    if (m.type === 'hello' && this.pendingDial) {
      this.dial();
      return;
    }
    if (this.cobrowse.current?.handle(m)) return;
    this.client?.handle(m);
  }

  private waitForSocket() {
    this.pendingDial = true;
    this.clearGiveUp();
    this.giveUp = setTimeout(() => {
      if (!this.pendingDial) return;
      this.pendingDial = false;
      this.set({ connecting: false, error: 'The sales line could not be reached. Check your connection and try again.' });
    }, connectWithin);
  }

  private dial() {
    this.pendingDial = false;
    this.clearGiveUp();
    const t = this.state.target;
    if (!t || !this.client) return;
    const s = t.store;
    const context: DialContext = {};
    if (typeof t.product?.id === 'number') context.productId = t.product.id;
    if (t.appointment) context.appointment = t.appointment;
    this.client.dial(
      s.salesNumber,
      this.state.mode,
      { name: s.name, number: s.salesNumber, display: s.salesDisplay },
      Object.keys(context).length > 0 ? context : undefined,
    );
    this.set({ connecting: false });
  }

  private clearGiveUp() {
    if (this.giveUp !== null) clearTimeout(this.giveUp);
    this.giveUp = null;
  }

  private teardown() {
    this.pendingDial = false;
    this.clearGiveUp();
    const client = this.client;
    this.client = null;
    client?.destroy();
    this.signaling?.close();
    this.signaling = null;
  }

  /** leavePage releases the camera and tells the server, when the page goes away. */
  leavePage(): void {
    this.teardown();
  }
}

/**
 * TalkContext hands the page's talk session to the views (MallCallProvider
 * makes it).
 */
export const TalkContext = createContext<TalkSession | null>(null);

/** useTalkSession is the page's talk session. */
export function useTalkSession(): TalkSession {
  const t = useContext(TalkContext);
  if (!t) throw new Error('useTalkSession: no MallCallProvider above');
  return t;
}

/**
 * attachTalkToPage ends the session's call when the page goes away and closes
 * its panel when the page comes back from the back-forward cache; it returns
 * the detach.
 */
export function attachTalkToPage(talk: TalkSession): () => void {
  const hide = () => talk.leavePage();
  // A page restored from the back-forward cache had its call ended on the way out.
  const show = (e: PageTransitionEvent) => {
    if (e.persisted) talk.close();
  };
  addEventListener('pagehide', hide);
  addEventListener('pageshow', show);
  return () => {
    removeEventListener('pagehide', hide);
    removeEventListener('pageshow', show);
  };
}

/** useTalk follows the talk session's state. */
export function useTalk(): TalkState {
  const talk = useTalkSession();
  const [s, setS] = useState(talk.current);
  useEffect(() => {
    setS(talk.current);
    return talk.subscribe(setS);
  }, [talk]);
  return s;
}
