// useSignaling keeps an app's signaling socket (signaling.ts) open while a
// key (the signed-in account) is set, with one sender and one registry of
// message listeners. The phone and the desk build their sockets on it.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ClientMessage, ServerMessage } from './protocol';
import { connectSignaling, type Signaling, type SignalingState } from './signaling';

/** SignalingHooks are an app's own steps around the socket. */
export interface SignalingHooks {
  /** connected runs once the socket is made (messages sent now go out on open). */
  connected?(s: Signaling): void;
  /** closed runs when the socket is closed for good (the key changed or the view unmounted). */
  closed?(): void;
  /** unhandled gets each message that no listener claimed by returning true. */
  unhandled?(m: ServerMessage): void;
}

/** SignalingSocket is the open socket: its state, a sender and a listener registry. */
export interface SignalingSocket {
  state: SignalingState;
  /** helloCount grows with every (re)connect, so views reload what they may have missed. */
  helloCount: number;
  send(msg: ClientMessage): boolean;
  /** onMessage registers a listener for every server message (true claims it); it returns the unsubscribe. */
  onMessage(fn: (m: ServerMessage) => boolean | void): () => void;
}

/** useSignaling connects while key is set. */
export function useSignaling(key: string | null, hooks: SignalingHooks = {}): SignalingSocket {
  const [state, setState] = useState<SignalingState>('connecting');
  const [helloCount, setHelloCount] = useState(0);
  const socket = useRef<Signaling | null>(null);
  const listeners = useRef(new Set<(m: ServerMessage) => boolean | void>());
  const own = useRef(hooks);
  own.current = hooks;

  useEffect(() => {
    if (!key) return;
    const c = connectSignaling({
      onState: setState,
      onMessage: (m) => {
        if (m.type === 'hello') setHelloCount((n) => n + 1);
        // A listener that returns true has dealt with the message (a
        // failed dial's error belongs on the call screen, not the app's).
        let handled = false;
        for (const fn of listeners.current) if (fn(m) === true) handled = true;
        if (!handled) own.current.unhandled?.(m);
      },
    });
    socket.current = c;
    own.current.connected?.(c);
    return () => {
      c.close();
      socket.current = null;
      own.current.closed?.();
    };
  }, [key]);

  const send = useCallback((msg: ClientMessage) => socket.current?.send(msg) ?? false, []);
  const onMessage = useCallback((fn: (m: ServerMessage) => boolean | void) => {
    listeners.current.add(fn);
    return () => {
      listeners.current.delete(fn);
    };
  }, []);
  return { state, helloCount, send, onMessage };
}
