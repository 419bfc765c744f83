// The desk's signaling socket and call client. The socket is open while a
// staff member is signed in: it is what keeps the agent's presence alive
// (no socket, no calls: the router treats the agent as offline), and it
// carries agent.state, the offered calls with their queue context,
// queue.callback and queue.changed. Calls themselves run on the shared call
// client (media/client/call.ts), as on the phone.

import { createContext } from 'preact';
import { useCallback, useContext, useRef } from 'preact/hooks';
import type { Signaling } from '../../media/client/signaling';
import { useCallClient, type Calls } from '../../media/client/useCallClient';
import { useSignaling, type SignalingSocket } from '../../media/client/useSignaling';

/**
 * DeskSignal is the desk's open socket: its state, a sender, a listener
 * registry, and connId, the connection as its latest hello names it (null
 * before the first): a supervisor stepping into a call names it, so the
 * call's media reaches this desk.
 */
export type DeskSignal = SignalingSocket & { connId(): string | null };

/**
 * DeskSignalContext hands the desk's socket to views mounted where no
 * DeskSignal prop reaches (the whiteboard in the engagement tools); CallDesk
 * provides it.
 */
export const DeskSignalContext = createContext<Pick<DeskSignal, 'send' | 'onMessage' | 'connId'> | null>(null);

/** useDeskSocket is the desk's socket from DeskSignalContext; outside a desk it sends nothing. */
export function useDeskSocket(): Pick<DeskSignal, 'send' | 'onMessage' | 'connId'> {
  return useContext(DeskSignalContext) ?? idleSocket;
}

const idleSocket: Pick<DeskSignal, 'send' | 'onMessage' | 'connId'> = { send: () => false, onMessage: () => () => {}, connId: () => null };

/** useDeskSignal connects while accountId is set. */
export function useDeskSignal(accountId: string | null): DeskSignal {
  const socket = useRef<Signaling | null>(null);
  const sock = useSignaling(accountId, {
    connected: (s) => {
      socket.current = s;
    },
    closed: () => {
      socket.current = null;
    },
  });
  const connId = useCallback(() => socket.current?.hello?.connId || null, []);
  return { ...sock, connId };
}

/** DeskCalls is the call client bound to the desk's socket. */
export interface DeskCalls extends Calls {
  /** dialCallback calls back the shopper of a queue entry (call.dial {callback}). */
  dialCallback(entryId: string, name: string): void;
  /** dialNumber calls a member's number with video. */
  dialNumber(number: string, name: string, display?: string): void;
}

/**
 * useDeskCalls keeps one call client for the signed-in desk. The client keeps
 * what call.incoming says beyond the call (the queue offer, the avatar) on
 * each ringing call and, once answered, on the call itself.
 */
export function useDeskCalls(signal: DeskSignal): DeskCalls {
  const calls = useCallClient(signal);
  const { client } = calls;
  const dialCallback = useCallback((entryId: string, name: string) => client.dialCallback(entryId, 'video', { name }), [client]);
  const dialNumber = useCallback(
    (number: string, name: string, display?: string) => client.dial(number, 'video', { name, number, display }),
    [client],
  );
  return { ...calls, dialCallback, dialNumber };
}
