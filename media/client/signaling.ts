// The signaling client every livemall web app uses: one WebSocket to
// /api/v1/ws (the server attaches it to the device its session or guest
// cookie is bound to, and names it in the hello), heartbeats at the pace the server's hello asks for,
// and reconnection with backoff (1 s, 2 s, 5 s, then every 10 s) when the
// socket drops. Subscriptions ("directory.watch") and the chosen presence
// ("presence.set") are remembered and sent again after every reconnect.

import { isServerMessage, PROTOCOL_VERSION, type ClientMessage, type HelloData, type ServerMessage } from './protocol';

export type { ClientMessage, ServerMessage } from './protocol';

/**
 * SignalingState is the connection's life: connecting (first attempt),
 * open (hello received), reconnecting (dropped, waiting to retry) and
 * closed (close() was called).
 */
export type SignalingState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface SignalingOptions {
  /** onMessage gets every server message, hello included. */
  onMessage?(msg: ServerMessage): void;
  /** onState is told each time the state changes. */
  onState?(state: SignalingState): void;
  /** url overrides the endpoint (tests). */
  url?: string;
  /** backoff overrides the reconnect delays in ms; the last one repeats. */
  backoff?: number[];
}

export interface Signaling {
  /**
   * send sends a message now if the socket is open and reports whether it
   * did. "directory.watch" and "presence.set" are also remembered and
   * replayed on every (re)connect, so they may be sent before the socket opens.
   */
  send(msg: ClientMessage): boolean;
  /** close ends the connection for good (no reconnect). */
  close(): void;
  /** state is the current connection state. */
  readonly state: SignalingState;
  /** hello is the last greeting from the server, null before the first. */
  readonly hello: HelloData | null;
}

const defaultBackoff = [1_000, 2_000, 5_000, 10_000];

/** signalingURL is the same-origin WebSocket address for this device. */
export function signalingURL(base?: string): string {
  const u = new URL(base ?? '/api/v1/ws', location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : u.protocol === 'http:' ? 'ws:' : u.protocol;
  return u.toString();
}

/** connectSignaling opens the socket and keeps it open until close(). */
export function connectSignaling(opts: SignalingOptions = {}): Signaling {
  const backoff = opts.backoff?.length ? opts.backoff : defaultBackoff;
  let state: SignalingState = 'connecting';
  let ws: WebSocket | null = null;
  let hello: HelloData | null = null;
  let attempt = 0;
  let heartbeat: ReturnType<typeof setInterval> | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;
  let watching = false;
  let presence: ClientMessage | null = null;

  const setState = (s: SignalingState) => {
    if (s === state) return;
    state = s;
    opts.onState?.(s);
  };

  const write = (msg: ClientMessage): boolean => {
    if (!ws || ws.readyState !== WebSocket.OPEN || state !== 'open') return false;
    ws.send(JSON.stringify({ v: PROTOCOL_VERSION, ...msg }));
    return true;
  };

  const stopHeartbeat = () => {
    if (heartbeat !== null) clearInterval(heartbeat);
    heartbeat = null;
  };

  const scheduleReconnect = () => {
    if (state === 'closed') return;
    const delay = backoff[Math.min(attempt, backoff.length - 1)];
    attempt++;
    setState('reconnecting');
    retry = setTimeout(() => {
      retry = null;
      open();
    }, delay);
  };

  // A page coming back from the background or the network coming back
  // should not wait out a 10 s backoff.
  const retryNow = () => {
    if (state !== 'reconnecting' || retry === null) return;
    clearTimeout(retry);
    retry = null;
    open();
  };
  const onVisible = () => {
    if (document.visibilityState === 'visible') retryNow();
  };

  function open() {
    let socket: WebSocket;
    try {
      socket = new WebSocket(signalingURL(opts.url));
    } catch {
      scheduleReconnect();
      return;
    }
    ws = socket;
    socket.onmessage = (ev: MessageEvent) => {
      if (ws !== socket || typeof ev.data !== 'string') return;
      let msg: unknown;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!isServerMessage(msg)) return;
      if (msg.type === 'hello') {
        hello = msg.data;
        attempt = 0;
        setState('open');
        stopHeartbeat();
        const every = Math.max(1, Number(msg.data.heartbeatSeconds) || 15) * 1000;
        heartbeat = setInterval(() => write({ type: 'heartbeat' }), every);
        if (presence) write(presence);
        if (watching) write({ type: 'directory.watch' });
      }
      opts.onMessage?.(msg);
    };
    socket.onclose = () => {
      if (ws !== socket) return;
      ws = null;
      stopHeartbeat();
      scheduleReconnect();
    };
    // onerror is always followed by onclose, which does the work.
    socket.onerror = () => {};
  }

  addEventListener('online', retryNow);
  document.addEventListener('visibilitychange', onVisible);
  opts.onState?.(state);
  open();

  return {
    send(msg) {
      if (msg.type === 'directory.watch') watching = true;
      if (msg.type === 'presence.set') presence = msg;
      return write(msg);
    },
    close() {
      if (state === 'closed') return;
      setState('closed');
      stopHeartbeat();
      if (retry !== null) clearTimeout(retry);
      retry = null;
      removeEventListener('online', retryNow);
      document.removeEventListener('visibilitychange', onVisible);
      const s = ws;
      ws = null;
      s?.close(1000, 'bye');
    },
    get state() {
      return state;
    },
    get hello() {
      return hello;
    },
  };
}
