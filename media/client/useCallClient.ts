// useCallClient binds the shared call client (call.ts) to a signaling socket
// for a Preact app: one client per socket, fed every server message, hung up
// when the page goes away and told when the socket is lost. The phone and the
// desk use it; the mall's talk session keeps its own client because its
// socket opens only while the shopper talks.

import { useEffect, useMemo, useState } from 'preact/hooks';
import { CallClient, type CallSnapshot } from './call';
import type { ClientMessage, ServerMessage } from './protocol';
import type { SignalingState } from './signaling';

/** CallSignal is what the call client needs of an app's signaling socket. */
export interface CallSignal {
  state: SignalingState;
  send(msg: ClientMessage): boolean;
  /** onMessage registers a listener for every server message; it returns the unsubscribe. */
  onMessage(fn: (m: ServerMessage) => boolean | void): () => void;
}

/** Calls is the call client bound to a socket and its latest snapshot. */
export interface Calls {
  snap: CallSnapshot;
  client: CallClient;
}

/** useCallClient keeps one call client for the socket of signal. */
export function useCallClient(signal: CallSignal): Calls {
  const [snap, setSnap] = useState<CallSnapshot>({ call: null, incoming: [], missed: null });
  const { send, onMessage, state } = signal;
  const client = useMemo(() => new CallClient({ send, onChange: setSnap }), [send]);

  useEffect(() => {
    const off = onMessage((m) => client.handle(m));
    // Leaving the page hangs up rather than leaving the other side waiting.
    const leave = () => client.destroy();
    addEventListener('pagehide', leave);
    return () => {
      off();
      removeEventListener('pagehide', leave);
      client.destroy();
    };
  }, [client, onMessage]);

  // The server hangs up a device's calls when its socket closes.
  useEffect(() => {
    if (state === 'reconnecting' || state === 'closed') client.signalLost();
  }, [state, client]);

  return { snap, client };
}
