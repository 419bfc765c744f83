// TransferCard: what the shopper sees while their call moves to another
// agent ("call.transfer"). While the next agent's desk rings (and, warm,
// while the agents talk) the shopper is on hold and hears nobody: a card
// over the video says "Connecting you to Maria". If Maria does not take
// the call, the shopper is back with their first agent and the card says
// so; sent to a store's queue, they are told they are first in line.

import { useEffect, useState } from 'preact/hooks';
import type { CallTransferData } from '../../media/client/protocol';
import { useTalk, useTalkSession } from './talkSession';
import './transfer-card.css';

/** onHold says whether the transfer holds the shopper now (the next agent rings, or the agents talk). */
export function onHold(t: CallTransferData | null): boolean {
  return t?.state === 'connecting' || t?.state === 'consulting';
}

/** useTransfer is the last "call.transfer" of the shopper's current call. */
export function useTransfer(): CallTransferData | null {
  const talk = useTalkSession();
  const s = useTalk();
  const callId = (s.snap.call ?? s.last)?.id ?? null;
  const [t, setT] = useState<CallTransferData | null>(null);
  useEffect(() => setT(null), [callId]);
  useEffect(
    () =>
      talk.listen((m) => {
        if (m.type === 'call.transfer' && m.data.callId === callId) setT(m.data);
      }),
    [talk, callId],
  );
  // A passing word (back with the first agent, now with the next) fades.
  useEffect(() => {
    if (!t || (t.state !== 'returned' && t.state !== 'connected')) return;
    const id = setTimeout(() => setT((cur) => (cur === t ? null : cur)), 8000);
    return () => clearTimeout(id);
  }, [t]);
  return t;
}

/** TransferHold is the card over the video while the shopper is on hold. */
export function TransferHold({ t, agent }: { t: CallTransferData | null; agent: string }) {
  if (!t || (t.state !== 'connecting' && t.state !== 'consulting')) return null;
  const to = t.to || 'a colleague';
  return (
    <div class="talk-transfer-hold" role="status" aria-live="polite" data-testid="transfer-hold">
      <span class="talk-transfer-rings" aria-hidden="true">
        <span />
        <span />
        <span class="talk-transfer-face">{initialsOf(to)}</span>
      </span>
      <p class="talk-transfer-title">Connecting you to {to}</p>
      <p class="talk-transfer-text">
        {agent ? `${agent} is handing you over` : 'You are being handed over'}
        {t.mode === 'warm' ? ' and telling them what you need' : ''}. You are on hold for a moment — your cart and the board come with you.
      </p>
    </div>
  );
}

/** TransferNote is the word after a transfer: back with the first agent, now with the next, or first in a store's line. */
export function TransferNote({ t }: { t: CallTransferData | null }) {
  if (!t) return null;
  let text = '';
  if (t.state === 'returned') text = `${t.note || `${t.to} could not take your call`}. You are back with your agent.`;
  else if (t.state === 'connected') text = `You are now talking to ${t.to}.`;
  else if (t.state === 'queued') text = `You were transferred to ${t.to}: you are first in line.`;
  if (!text) return null;
  return (
    <p class={`talk-transfer-note is-${t.state}`} role="status" data-testid="transfer-note" data-state={t.state}>
      {text}
    </p>
  );
}

function initialsOf(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]?.toUpperCase() ?? '')
    .join('');
}
