// Transfer: the agent hands a live call on. "Transfer" in the call's
// controls opens a dialog with the store's colleagues (their state; only
// the available ones can be chosen, warm or cold), this store's line and
// the other stores' lines (with a reason the next agent reads). While a
// transfer is in flight a banner says where it stands — ringing, talking
// to the colleague with the shopper on hold (and "Complete transfer"), or
// back with the shopper when the colleague did not answer.

import { useEffect, useRef, useState } from 'preact/hooks';
import { CheckIcon, CloseIcon, StoreIcon, Svg, UserIcon, type IconProps } from '../../backend/web/ui/icons';
import { errorMessage } from '../../backend/web/ui/session';
import type { CallTransferData } from '../../media/client/protocol';
import type { DeskSignal } from './deskSignal';
import { transferApi, type Colleague, type Line, type TransferTargets } from './transferApi';
import './transfer.css';

/** TransferIcon is two arrows passing a call on. */
export const TransferIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M4 8h13" />
    <path d="m13 4 4 4-4 4" />
    <path d="M20 16H7" />
    <path d="m11 12-4 4 4 4" />
  </Svg>
);

/** TransferStatus is the last "call.transfer" of the call, if any. */
export type TransferStatus = CallTransferData | null;

/** useTransferStatus follows "call.transfer" for the call on the desk's socket. */
export function useTransferStatus(signal: Pick<DeskSignal, 'onMessage'>, callId: string | null): TransferStatus {
  const [status, setStatus] = useState<TransferStatus>(null);
  useEffect(() => setStatus(null), [callId]);
  useEffect(
    () =>
      signal.onMessage((m) => {
        if (m.type === 'call.transfer' && m.data.callId === callId) setStatus(m.data);
      }),
    [signal.onMessage, callId],
  );
  return status;
}

/** waitingText says how many wait in a line. */
function waitingText(l: Line): string {
  return l.waiting === 0 ? 'nobody waiting' : `${l.waiting} waiting`;
}

const stateWords: Record<Colleague['state'], string> = { available: 'Available', busy: 'Busy', away: 'Away', offline: 'Offline' };

type Choice = { kind: 'agent'; c: Colleague } | { kind: 'line'; l: Line };

export interface TransferDialogProps {
  entryId: string;
  shopper: string;
  storeName: string;
  onClose(): void;
  onStarted(): void;
}

/** TransferDialog chooses whom to hand the call to, and how. */
export function TransferDialog({ entryId, shopper, storeName, onClose, onStarted }: TransferDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const [targets, setTargets] = useState<TransferTargets | null>(null);
  const [choice, setChoice] = useState<Choice | null>(null);
  const [mode, setMode] = useState<'warm' | 'cold'>('warm');
  const [reason, setReason] = useState('');
  const [otherSlug, setOtherSlug] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  useEffect(() => {
    ref.current?.showModal();
    transferApi.targets().then(setTargets, (e) => setError(errorMessage(e)));
  }, []);

  const otherStore = choice?.kind === 'line' && !choice.l.own;
  const canSend = !!choice && !busy && (!otherStore || reason.trim() !== '');
  const send = async (e: Event) => {
    e.preventDefault();
    if (!choice) return;
    setBusy(true);
    setError('');
    try {
      const r = reason.trim() || undefined;
      await transferApi.start(entryId, choice.kind === 'agent' ? { agentId: choice.c.id, mode, reason: r } : { store: choice.l.slug, reason: r });
      onStarted();
      ref.current?.close();
    } catch (err) {
      setError(errorMessage(err));
      transferApi.targets().then(setTargets, () => undefined);
    } finally {
      setBusy(false);
    }
  };
  const own = targets?.lines.filter((l) => l.own) ?? [];
  const others = targets?.lines.filter((l) => !l.own) ?? [];
  const label = !choice
    ? 'Choose where to transfer'
    : choice.kind === 'agent'
      ? `${mode === 'warm' ? 'Call' : 'Transfer to'} ${choice.c.name}`
      : `Send to ${choice.l.own ? 'our line' : `${choice.l.name}’s line`}`;

  return (
    <dialog ref={ref} class="transfer-dialog" aria-labelledby="transfer-title" onClose={onClose} onCancel={onClose} data-testid="transfer-dialog">
      <form method="dialog" onSubmit={send}>
        <header class="dialog-head">
          <div>
            <p class="eyebrow">Transfer {shopper}</p>
            <h2 id="transfer-title">Who should take this call?</h2>
          </div>
          <button type="button" class="icon-btn" aria-label="Close" onClick={() => ref.current?.close()}>
            <CloseIcon size={18} />
          </button>
        </header>

        <div class="transfer-body">
          <fieldset class="transfer-group">
            <legend>Colleagues at {storeName}</legend>
            {!targets && !error && <p class="muted small">Loading…</p>}
            {targets && targets.colleagues.length === 0 && <p class="muted small">No other agent works here.</p>}
            <ul class="transfer-list" role="list">
              {targets?.colleagues.map((c) => {
                const off = c.state !== 'available';
                const on = choice?.kind === 'agent' && choice.c.id === c.id;
                return (
                  <li key={c.id}>
                    <label class={`transfer-option${on ? ' is-on' : ''}${off ? ' is-off' : ''}`} data-testid="transfer-colleague" data-state={c.state}>
                      <input type="radio" name="target" disabled={off} checked={on} onChange={() => setChoice({ kind: 'agent', c })} />
                      <span class="transfer-face" aria-hidden="true">
                        <UserIcon size={16} />
                      </span>
                      <span class="transfer-name">{c.name}</span>
                      <span class={`transfer-state state-${c.state}`}>
                        <span class="agent-dot" aria-hidden="true" />
                        {stateWords[c.state]}
                      </span>
                    </label>
                  </li>
                );
              })}
            </ul>
          </fieldset>

          {choice?.kind === 'agent' && (
            <div class="transfer-mode" role="radiogroup" aria-label="How">
              <label class={`transfer-mode-opt${mode === 'warm' ? ' is-on' : ''}`}>
                <input type="radio" name="mode" checked={mode === 'warm'} onChange={() => setMode('warm')} />
                <strong>Warm</strong>
                <span class="muted small">Talk to {choice.c.name} first; {shopper} waits on hold.</span>
              </label>
              <label class={`transfer-mode-opt${mode === 'cold' ? ' is-on' : ''}`}>
                <input type="radio" name="mode" checked={mode === 'cold'} onChange={() => setMode('cold')} />
                <strong>Cold</strong>
                <span class="muted small">{shopper} goes straight to {choice.c.name}.</span>
              </label>
            </div>
          )}

          <fieldset class="transfer-group">
            <legend>Queues</legend>
            <ul class="transfer-list" role="list">
              {own.map((l) => {
                const on = choice?.kind === 'line' && choice.l.slug === l.slug;
                return (
                  <li key={l.slug}>
                    <label class={`transfer-option${on ? ' is-on' : ''}`} data-testid="transfer-line">
                      <input type="radio" name="target" checked={on} onChange={() => setChoice({ kind: 'line', l })} />
                      <span class="transfer-face is-store" aria-hidden="true">
                        <StoreIcon size={16} />
                      </span>
                      <span class="transfer-name">This store’s queue</span>
                      <span class="transfer-state">{waitingText(l)}</span>
                    </label>
                  </li>
                );
              })}
              {others.length > 0 && (
                <li>
                  <label class={`transfer-option is-other${otherStore ? ' is-on' : ''}`} data-testid="transfer-other-line">
                    <input type="radio" name="target" checked={otherStore} onChange={() => setChoice({ kind: 'line', l: others.find((l) => l.slug === otherSlug) ?? others[0] })} />
                    <span class="transfer-face is-store" aria-hidden="true">
                      <StoreIcon size={16} />
                    </span>
                    <span class="transfer-name">Another store’s queue</span>
                    <select
                      class="transfer-store"
                      aria-label="Store"
                      value={otherSlug || others[0].slug}
                      onChange={(e) => {
                        const l = others.find((x) => x.slug === e.currentTarget.value);
                        setOtherSlug(e.currentTarget.value);
                        if (l) setChoice({ kind: 'line', l });
                      }}
                    >
                      {others.map((l) => (
                        <option key={l.slug} value={l.slug}>
                          {l.name} · {waitingText(l)}
                        </option>
                      ))}
                    </select>
                  </label>
                </li>
              )}
            </ul>
            <p class="muted small transfer-hint">A transferred shopper goes to the front of the line.</p>
          </fieldset>

          <label class="transfer-reason">
            <span>
              Reason{' '}
              <span class="muted small">{otherStore ? '(required: the next agent reads it)' : '(optional: the next agent reads it)'}</span>
            </span>
            <textarea rows={2} maxLength={500} value={reason} onInput={(e) => setReason(e.currentTarget.value)} placeholder="e.g. wants advice on copper pans" />
          </label>
          {error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
        </div>

        <footer class="transfer-actions">
          <button type="button" class="btn btn-secondary" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="submit" class="btn btn-primary" disabled={!canSend} data-testid="transfer-send">
            <TransferIcon size={18} /> {label}
          </button>
        </footer>
      </form>
    </dialog>
  );
}

export interface CallTransferProps {
  entryId: string;
  shopper: string;
  storeName: string;
  status: TransferStatus;
}

/** CallTransfer is the call's "Transfer" button, its dialog and the banner of a transfer in flight. */
export function CallTransfer({ entryId, shopper, storeName, status }: CallTransferProps) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const inFlight = status?.state === 'connecting' || status?.state === 'consulting';
  const complete = async () => {
    if (!status?.transferId) return;
    setBusy(true);
    setError('');
    try {
      await transferApi.complete(status.transferId);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {status?.taking && <TransferWelcome status={status} shopper={shopper} />}
      {status && !status.taking && status.state !== 'transferred' && (
        <div class={`transfer-banner is-${status.state}`} role="status" aria-live="polite" data-testid="transfer-banner" data-state={status.state}>
          <span class="transfer-banner-icon" aria-hidden="true">
            {status.state === 'returned' ? <UserIcon size={16} /> : status.state === 'connected' ? <CheckIcon size={16} /> : <TransferIcon size={16} />}
          </span>
          <span class="transfer-banner-text">
            {status.state === 'connecting' &&
              (status.mode === 'warm' ? `Ringing ${status.to}… ${shopper} is on hold.` : `Ringing ${status.to}… ${shopper} hears “Connecting you to ${status.to}”.`)}
            {status.state === 'consulting' && `You are talking to ${status.to}. ${shopper} is on hold and cannot hear you.`}
            {status.state === 'returned' && `${status.note || `${status.to} did not take the call`}. You are back with ${shopper}.`}
            {status.state === 'connected' && `${shopper} is now with ${status.to}.`}
            {error && <span class="transfer-banner-error"> {error}</span>}
          </span>
          {status.state === 'consulting' && (
            <button type="button" class="btn btn-primary btn-sm" data-testid="transfer-complete" disabled={busy} onClick={() => void complete()}>
              <CheckIcon size={16} /> Complete transfer
            </button>
          )}
        </div>
      )}
      <button type="button" class="call-btn" data-testid="transfer" disabled={inFlight} onClick={() => setOpen(true)}>
        <TransferIcon size={22} />
        <span>Transfer</span>
      </button>
      {open && <TransferDialog entryId={entryId} shopper={shopper} storeName={storeName} onClose={() => setOpen(false)} onStarted={() => setOpen(false)} />}
    </>
  );
}

/** TransferWelcome is the banner of the agent who takes a warm transfer while the first agent still talks to them. */
export function TransferWelcome({ status, shopper }: { status: TransferStatus; shopper: string }) {
  if (status?.state !== 'consulting') return null;
  return (
    <div class="transfer-banner is-consulting" role="status" data-testid="transfer-banner" data-state="incoming">
      <span class="transfer-banner-icon" aria-hidden="true">
        <TransferIcon size={16} />
      </span>
      <span class="transfer-banner-text">{status.note || `You are taking over ${shopper}: they are on hold until the transfer is completed.`}</span>
    </div>
  );
}
