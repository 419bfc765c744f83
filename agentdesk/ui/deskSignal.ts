// The desk's signaling socket and call client. The socket is open while a
// staff member is signed in: it is what keeps the agent's presence alive
// (no socket, no calls: the router treats the agent as offline), and it
// carries agent.state, the offered calls with their queue context,
// queue.callback and queue.changed. Calls themselves run on the shared call
// client (media/client/call.ts), as on the phone.

import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { CallClient, type CallSnapshot } from '../../media/client/call';
import type { ClientMessage, QueueOffer, ServerMessage } from '../../media/client/protocol';
import { connectSignaling, type Signaling, type SignalingState } from '../../media/client/signaling';

declare global {
  interface Window {
    /** __lmCall is the page's call client, as on the phone; tests read __lmCall.pc.getStats(). */
    __lmCall?: CallClient;
    /** __livemallCall is the same client under the name the contact-center tests use. */
    __livemallCall?: CallClient;
  }
}

/** DeskSignal is the open socket: its state, a sender and a listener registry. */
export interface DeskSignal {
  state: SignalingState;
  /** helloCount grows with every (re)connect, so views reload what they may have missed. */
  helloCount: number;
  send(msg: ClientMessage): boolean;
  /** onMessage registers a listener for every server message; it returns the unsubscribe. */
  onMessage(fn: (m: ServerMessage) => void): () => void;
}

/** pageListeners hear every message of the page's desk socket (see pageDeskSignal). */
const pageListeners = new Set<(m: ServerMessage) => void>();
let pageSocket: Signaling | null = null;

/**
 * pageDeskSignal is the page's one desk socket for views mounted where no
 * DeskSignal prop reaches (the whiteboard in the engagement tools): the same
 * sender and listener registry as useDeskSignal's.
 */
export const pageDeskSignal: Pick<DeskSignal, 'send' | 'onMessage'> = {
  send: (msg) => pageSocket?.send(msg) ?? false,
  onMessage: (fn) => {
    pageListeners.add(fn);
    return () => {
      pageListeners.delete(fn);
    };
  },
};

/** useDeskSignal connects while accountId is set. */
export function useDeskSignal(accountId: string | null): DeskSignal {
  const [state, setState] = useState<SignalingState>('connecting');
  const [helloCount, setHelloCount] = useState(0);
  const client = useRef<Signaling | null>(null);
  const listeners = useRef(new Set<(m: ServerMessage) => void>());

  useEffect(() => {
    if (!accountId) return;
    const c = connectSignaling({
      onState: setState,
      onMessage: (m) => {
        if (m.type === 'hello') setHelloCount((n) => n + 1);
        for (const fn of listeners.current) fn(m);
        for (const fn of pageListeners) fn(m);
      },
    });
    client.current = c;
    pageSocket = c;
    return () => {
      c.close();
      client.current = null;
      if (pageSocket === c) pageSocket = null;
    };
  }, [accountId]);

  const send = useCallback((msg: ClientMessage) => client.current?.send(msg) ?? false, []);
  const onMessage = useCallback((fn: (m: ServerMessage) => void) => {
    listeners.current.add(fn);
    return () => {
      listeners.current.delete(fn);
    };
  }, []);
  return { state, helloCount, send, onMessage };
}

/** Offer is what call.incoming told about a ringing call beyond the call client's view. */
export interface Offer {
  queue?: QueueOffer;
  avatar: boolean;
}

/** DeskCalls is the call client bound to the desk's socket. */
export interface DeskCalls {
  snap: CallSnapshot;
  client: CallClient;
  /** offers are the queue contexts of calls offered to this desk, by call id. */
  offers: Record<string, Offer>;
  /** dialCallback calls back the shopper of a queue entry (call.dial {callback}). */
  dialCallback(entryId: string, name: string): void;
  /** dialNumber calls a member's number with video. */
  dialNumber(number: string, name: string, display?: string): void;
}

/** useDeskCalls keeps one call client for the signed-in desk. */
export function useDeskCalls(signal: DeskSignal): DeskCalls {
  const [snap, setSnap] = useState<CallSnapshot>({ call: null, incoming: [], missed: null });
  const [offers, setOffers] = useState<Record<string, Offer>>({});
  // The call client dials numbers; a call back names a queue entry instead.
  // The next call.dial it sends is rewritten to carry the entry.
  const callbackEntry = useRef<string | null>(null);
  const { send } = signal;
  const client = useMemo(
    () =>
      new CallClient({
        send: (msg) => {
          if (msg.type === 'call.dial' && callbackEntry.current) {
            const entry = callbackEntry.current;
            callbackEntry.current = null;
            return send({ type: 'call.dial', data: { callback: entry, video: msg.data.video } });
          }
          return send(msg);
        },
        onChange: setSnap,
      }),
    [send],
  );

  useEffect(() => {
    window.__lmCall = client;
    window.__livemallCall = client;
    const off = signal.onMessage((m) => {
      if (m.type === 'call.incoming' && m.data?.callId) {
        const d = m.data;
        setOffers((o) => ({ ...o, [d.callId]: { queue: d.queue, avatar: !!d.avatar } }));
      }
      client.handle(m);
    });
    const leave = () => client.destroy();
    addEventListener('pagehide', leave);
    return () => {
      off();
      removeEventListener('pagehide', leave);
      client.destroy();
      if (window.__lmCall === client) delete window.__lmCall;
      if (window.__livemallCall === client) delete window.__livemallCall;
    };
  }, [client, signal.onMessage]);

  // The server hangs up a device's calls when its socket closes.
  useEffect(() => {
    if (signal.state === 'reconnecting' || signal.state === 'closed') client.signalLost();
  }, [signal.state, client]);

  // Forget the offers of calls that no longer ring and are not the current call.
  useEffect(() => {
    const keep = new Set([...snap.incoming.map((i) => i.callId), snap.call?.id ?? '']);
    setOffers((o) => {
      const ids = Object.keys(o).filter((id) => keep.has(id));
      return ids.length === Object.keys(o).length ? o : Object.fromEntries(ids.map((id) => [id, o[id]]));
    });
  }, [snap.incoming, snap.call?.id]);

  const dialCallback = useCallback(
    (entryId: string, name: string) => {
      callbackEntry.current = entryId;
      client.dial('', 'video', { name });
      // A dial refused before sending must not rewrite a later one.
      callbackEntry.current = null;
    },
    [client],
  );
  const dialNumber = useCallback(
    (number: string, name: string, display?: string) => client.dial(number, 'video', { name, number, display }),
    [client],
  );

  return { snap, client, offers, dialCallback, dialNumber };
}
