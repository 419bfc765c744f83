// CallWrapUp: after a shopper's call the agent files how it went (outcome
// and a note) while the wrap-up timer runs, then says they are ready for
// the next call. The router offers no call until the timer ends or the
// agent is ready.

import { useState } from 'preact/hooks';
import { CheckIcon } from '../../backend/web/ui/icons';
import { errorMessage } from '../../backend/web/ui/session';
import type { QueueContext } from '../../media/client/protocol';
import { BoardRecord } from './BoardPanel';
import { CallContext, shopperName, useNow } from './CallContext';
import { clock, deskApi, wrapUpOutcomes, type WrapUpOutcome } from './deskApi';
import { SupervisionRecord } from './SupervisionRecord';

/** WrapUpItem is the engagement being wrapped up. */
export interface WrapUpItem {
  entryId: string;
  name: string;
  context?: QueueContext | null;
  /** saved is the outcome once filed. */
  saved?: WrapUpOutcome;
}

export interface CallWrapUpProps {
  item: WrapUpItem;
  storeSlug?: string;
  /** wrapUntil is when the wrap-up timer ends (ISO), if the agent is in wrap-up. */
  wrapUntil?: string | null;
  onSaved(outcome: WrapUpOutcome): void;
  onReady(): Promise<void>;
}

/** CallWrapUp is the wrap-up form with its countdown. */
export function CallWrapUp({ item, storeSlug, wrapUntil, onSaved, onReady }: CallWrapUpProps) {
  const [outcome, setOutcome] = useState<WrapUpOutcome | ''>('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const until = wrapUntil ? Date.parse(wrapUntil) : NaN;
  const now = useNow(!Number.isNaN(until));
  const left = Number.isNaN(until) ? null : Math.max(0, (until - now) / 1000);
  const name = shopperName(item.name);

  async function save(e: Event) {
    e.preventDefault();
    if (!outcome) {
      setError('Pick how the call went.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      await deskApi.saveWrapUp(item.entryId, outcome, note.trim());
      onSaved(outcome);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function ready() {
    setBusy(true);
    setError('');
    try {
      await onReady();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const label = wrapUpOutcomes.find((o) => o.value === item.saved)?.label;
  return (
    <section class="desk-wrap card" aria-labelledby="wrap-title" data-entry-id={item.entryId}>
      <div class="desk-wrap-main">
        <div class="desk-wrap-head">
          <div>
            <p class="eyebrow">Wrap-up</p>
            <h2 id="wrap-title" class="desk-wrap-title">
              Call with {name}
            </h2>
          </div>
          {left !== null && (
            <p class={`wrap-timer${left < 10 ? ' is-low' : ''}`} role="timer" aria-label={`${Math.ceil(left)} seconds of wrap-up left`}>
              {left > 0 ? clock(left) : 'Time is up'}
            </p>
          )}
        </div>

        {item.saved ? (
          <div class="wrap-saved" role="status">
            <CheckIcon size={20} />
            <p>
              Saved as <strong>{label}</strong>. Take the next shopper when you are ready.
            </p>
          </div>
        ) : (
          <form class="wrap-form" onSubmit={save} noValidate>
            <div class="field">
              <label for="wrap-outcome">Outcome</label>
              <select
                id="wrap-outcome"
                data-testid="wrapup-outcome"
                value={outcome}
                aria-invalid={error && !outcome ? 'true' : undefined}
                onChange={(e) => setOutcome((e.currentTarget as HTMLSelectElement).value as WrapUpOutcome)}
              >
                <option value="" disabled>
                  How did it go?
                </option>
                {wrapUpOutcomes.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="wrap-note">Note</label>
              <textarea
                id="wrap-note"
                data-testid="wrapup-note"
                rows={3}
                maxLength={2000}
                value={note}
                placeholder="What they wanted, what to follow up"
                onInput={(e) => setNote((e.currentTarget as HTMLTextAreaElement).value)}
              />
            </div>
            <button type="submit" class="btn btn-primary" data-testid="wrapup-save" disabled={busy}>
              Save
            </button>
          </form>
        )}
        <SupervisionRecord entryId={item.entryId} />
        {error && (
          <p class="status status-error" role="alert">
            {error}
          </p>
        )}
        <div class="wrap-ready">
          <button type="button" class={`btn ${item.saved ? 'btn-primary' : 'btn-secondary'}`} data-testid="ready" onClick={() => void ready()} disabled={busy}>
            Ready for the next call
          </button>
          {!item.saved && <span class="muted small">Save first: the outcome is what the store reports on.</span>}
        </div>
      </div>
      <aside class="desk-wrap-side" aria-label="Shopper">
        <CallContext context={item.context} name={item.name} storeSlug={storeSlug} />
      </aside>
      <BoardRecord entryId={item.entryId} shopperName={name} />
    </section>
  );
}
