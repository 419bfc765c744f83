// AnswerFromURL: /phone/?answer=<callId>, where Answer on a push
// notification leads. Once the phone is connected, the server sends the
// ringing call's call.incoming as to any device of the member; the one with
// that id is answered at once, as the Answer button would, and the parameter
// leaves the address bar. A call that stops ringing first, or never comes
// within the ring timeout, is reported with a way to the mailbox.

import { useEffect, useState } from 'preact/hooks';
import { CloseIcon, PhoneMissedIcon } from '../../backend/web/ui/icons';
import type { Calls } from '../../media/client/useCallClient';
import type { PhoneSignal } from './usePhoneSignal';

/** ringTimeout is the server's default --ring-timeout: the longest a call rings. */
const ringTimeout = 25_000;

/** Wait is where an ?answer= link stands. */
export type Wait = { kind: 'none' } | { kind: 'waiting'; callId: string } | { kind: 'answered' } | { kind: 'gone' };

function dropAnswer() {
  const url = new URL(location.href);
  if (!url.searchParams.has('answer')) return;
  url.searchParams.delete('answer');
  history.replaceState(null, '', url.pathname + url.search + url.hash);
}

/** useAnswerFromURL answers the call named by ?answer= and says so when it is gone. */
export function useAnswerFromURL(calls: Calls, signal: PhoneSignal): Wait {
  const [wait, setWait] = useState<Wait>(() => {
    const id = new URLSearchParams(location.search).get('answer');
    return id ? { kind: 'waiting', callId: id } : { kind: 'none' };
  });
  const connected = signal.hello !== null;
  const { snap, client } = calls;

  useEffect(() => {
    if (wait.kind !== 'waiting') return;
    const ring = snap.incoming.find((i) => i.callId === wait.callId);
    if (ring) {
      client.answer(ring.callId, true);
      dropAnswer();
      setWait({ kind: 'answered' });
    } else if (snap.call?.id === wait.callId) {
      // Already ours (answered before a reload).
      dropAnswer();
      setWait({ kind: 'answered' });
    }
  }, [wait, snap, client]);

  // The wait starts once the phone is connected: only then does the server
  // send the ring.
  useEffect(() => {
    if (wait.kind !== 'waiting' || !connected) return;
    const t = setTimeout(() => {
      dropAnswer();
      setWait({ kind: 'gone' });
    }, ringTimeout);
    return () => clearTimeout(t);
  }, [wait, connected]);

  return wait;
}

/** AnswerNote shows what became of ?answer=: waiting for the call, or that it ended. */
export function AnswerNote({ wait, onDismiss }: { wait: Wait; onDismiss(): void }) {
  if (wait.kind === 'waiting') {
    return (
      <div class="banner banner-info" role="status" data-testid="answer-wait">
        <span class="spinner" aria-hidden="true" />
        <p>Connecting to the call…</p>
      </div>
    );
  }
  if (wait.kind !== 'gone') return null;
  return (
    <div class="banner banner-warn" role="alert" data-testid="answer-gone">
      <PhoneMissedIcon size={20} />
      <p>
        <strong>The call ended before you could answer.</strong> If they left a message, it is in{' '}
        <a href="#mailbox">your mailbox</a>.
      </p>
      <button type="button" class="icon-btn" aria-label="Dismiss" onClick={onDismiss}>
        <CloseIcon size={18} />
      </button>
    </div>
  );
}
