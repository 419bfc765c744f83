// usePhoneSignal keeps the phone's signaling socket open while a member is
// signed in: it watches the directory, re-applies the member's chosen presence
// after reconnects, and fans presence events out to the screens.

import { useCallback, useRef, useState } from 'preact/hooks';
import type { SignalingState } from '../../media/client/signaling';
import type { ClientMessage, HelloData, PresenceData, ServerMessage } from '../../media/client/protocol';
import { useSignaling } from '../../media/client/useSignaling';

export type OwnPresence = 'available' | 'away';

const presenceKey = 'lm_presence';

function storedPresence(): OwnPresence {
  try {
    return localStorage.getItem(presenceKey) === 'away' ? 'away' : 'available';
  } catch {
    return 'available';
  }
}

export interface PhoneSignal {
  state: SignalingState;
  hello: HelloData | null;
  /** presence is what this member chose on this device. */
  presence: OwnPresence;
  setPresence(p: OwnPresence): void;
  /** lastError is the last "error" message the server sent, if any. */
  lastError: string;
  /** onPresence registers a listener for presence events; it returns the unsubscribe. */
  onPresence(fn: (p: PresenceData) => void): () => void;
  /** onMessage registers a listener for every server message; it returns the unsubscribe. */
  onMessage(fn: (m: ServerMessage) => boolean | void): () => void;
  /** send puts a message on the socket now; false when it is not open. */
  send(msg: ClientMessage): boolean;
}

/** usePhoneSignal connects when accountId is set and disconnects when it is not. */
export function usePhoneSignal(accountId: string | null): PhoneSignal {
  const [hello, setHello] = useState<HelloData | null>(null);
  const [presence, setPresenceState] = useState<OwnPresence>(storedPresence);
  const [lastError, setLastError] = useState('');
  const listeners = useRef(new Set<(p: PresenceData) => void>());
  const socket = useSignaling(accountId, {
    connected(c) {
      const chosen = storedPresence();
      if (chosen === 'away') c.send({ type: 'presence.set', data: { state: 'away' } });
      c.send({ type: 'directory.watch' });
    },
    closed() {
      setHello(null);
    },
    unhandled(m) {
      switch (m.type) {
        case 'hello':
          setHello(m.data);
          setLastError('');
          break;
        case 'presence':
          for (const fn of listeners.current) fn(m.data);
          break;
        case 'error':
          setLastError(m.data?.message ?? 'The phone connection reported an error.');
          break;
      }
    },
  });
  const { state, send, onMessage } = socket;

  const setPresence = useCallback((p: OwnPresence) => {
    setPresenceState(p);
    try {
      localStorage.setItem(presenceKey, p);
    } catch {
      // Not remembered across reloads then.
    }
    send({ type: 'presence.set', data: { state: p } });
  }, [send]);

  const onPresence = useCallback((fn: (p: PresenceData) => void) => {
    listeners.current.add(fn);
    return () => {
      listeners.current.delete(fn);
    };
  }, []);

  return { state, hello, presence, setPresence, lastError, onPresence, onMessage, send };
}
