// useCalls binds the shared call client (media/client/call.ts) to the
// phone's signaling socket and hands its snapshot to the screens.

import { useEffect, useMemo, useState } from 'preact/hooks';
import { CallClient, type CallSnapshot } from '../../media/client/call';
import type { PhoneSignal } from './usePhoneSignal';

declare global {
  interface Window {
    /** __lmCall is the phone's call client; tests read __lmCall.pc.getStats(). */
    __lmCall?: CallClient;
  }
}

export interface Calls {
  snap: CallSnapshot;
  client: CallClient;
}

/** useCalls keeps one call client for the signed-in phone. */
export function useCalls(signal: PhoneSignal): Calls {
  const [snap, setSnap] = useState<CallSnapshot>({ call: null, incoming: [], missed: null });
  const client = useMemo(() => new CallClient({ send: signal.send, onChange: setSnap }), [signal.send]);

  useEffect(() => {
    window.__lmCall = client;
    const off = signal.onMessage((m) => client.handle(m));
    // Leaving the page hangs up rather than leaving the other side waiting.
    const leave = () => client.destroy();
    addEventListener('pagehide', leave);
    return () => {
      off();
      removeEventListener('pagehide', leave);
      client.destroy();
      if (window.__lmCall === client) delete window.__lmCall;
    };
  }, [client, signal.onMessage]);

  // The server hangs up a device's calls when its socket closes.
  useEffect(() => {
    if (signal.state === 'reconnecting' || signal.state === 'closed') client.signalLost();
  }, [signal.state, client]);

  return { snap, client };
}
