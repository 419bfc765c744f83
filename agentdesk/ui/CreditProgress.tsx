// CreditProgress: store credit in the agent's engagement tools. The agent
// sends the application into the shopper's call panel, follows it live
// (credit.update on the desk's socket: the fields filled — names, never the
// answers — the passkey signature), submits it on the shopper's behalf once
// signed, and sees the decision: the store's rules at once, or a supervisor.

import { useEffect, useState } from 'preact/hooks';
import type { CreditUpdate } from '../../media/client/messages.gen';
import { CheckIcon } from '../../backend/web/ui/icons';
import { formatMoney } from '../../backend/web/ui/money';
import { errorMessage } from '../../backend/web/ui/session';
import { useDeskSocket } from './deskSignal';
import { engagementApi } from './engagementApi';
import './credit-progress.css';

/** fieldNames are the application's fields in the shopper's words. */
const fieldNames: Record<string, string> = {
  fullName: 'Name',
  employer: 'Employer',
  monthlyIncome: 'Income',
  requestedLimit: 'Limit',
  consent: 'Consent',
};

/** CreditProgress is the credit panel of a live engagement with a member. */
export function CreditProgress({ entryId, name }: { entryId: string; name: string }) {
  const socket = useDeskSocket();
  const [app, setApp] = useState<CreditUpdate | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  useEffect(() => {
    let live = true;
    engagementApi.engagementCredit(entryId).then(
      (a) => live && setApp(a),
      () => {},
    );
    const off = socket.onMessage((m) => {
      if (m.type !== 'credit.update' || m.data.entryId !== entryId) return;
      setApp(m.data);
    });
    return () => {
      live = false;
      off();
    };
  }, [entryId]);

  const act = async (f: () => Promise<CreditUpdate>) => {
    setBusy(true);
    setError('');
    try {
      setApp(await f());
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="eng-panel credit-progress" aria-labelledby="eng-credit-title" data-testid="engagement-credit" data-state={app?.state ?? ''} data-step={app?.step ?? ''}>
      <header class="eng-head">
        <h2 id="eng-credit-title">Store credit</h2>
      </header>
      {!app || app.state === 'declined' ? (
        <>
          <p class="small muted">
            {app ? `Declined: ${app.reason}. ` : ''}Offer {name} a store credit line: the application opens in their call panel.
          </p>
          <button type="button" class="btn btn-secondary btn-sm" data-testid="send-credit" disabled={busy} onClick={() => void act(() => engagementApi.sendCredit(entryId))}>
            {busy ? 'Sending…' : 'Send credit application'}
          </button>
        </>
      ) : (
        <Progress app={app} name={name} busy={busy} onSubmit={() => void act(() => engagementApi.submitCredit(app.applicationId))} />
      )}
      {error && (
        <p class="status-error small" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function Progress({ app, name, busy, onSubmit }: { app: CreditUpdate; name: string; busy: boolean; onSubmit(): void }) {
  const filled = new Set(app.filled);
  const steps: [string, boolean][] = [
    ['Opened in the call', true],
    [`Filled in (${filled.size}/5)`, app.step === 'filled' || app.step === 'signed' || app.state !== 'sent'],
    ['Signed with passkey', app.step === 'signed' || app.state !== 'sent'],
    ['Submitted', app.state !== 'sent'],
    ['Decided', app.state === 'approved' || app.state === 'declined'],
  ];
  return (
    <>
      <ol class="credit-steps" aria-label="Progress of the application">
        {steps.map(([label, done]) => (
          <li key={label} class={done ? 'is-done' : ''}>
            {done ? <CheckIcon size={13} /> : <span class="credit-dot" aria-hidden="true" />}
            {label}
          </li>
        ))}
      </ol>
      {app.state === 'sent' && app.step !== 'signed' && (
        <ul class="credit-fields" aria-label="Fields filled">
          {Object.entries(fieldNames).map(([k, label]) => (
            <li key={k} class={filled.has(k) ? 'is-filled' : ''}>
              {label}
            </li>
          ))}
        </ul>
      )}
      {app.requestedLimitMinor > 0 && <p class="small muted">Limit asked for: {formatMoney(app.requestedLimitMinor, app.currency)}</p>}
      {app.state === 'sent' && app.step === 'signed' && (
        <button type="button" class="btn btn-primary btn-sm" data-testid="submit-credit" disabled={busy} onClick={onSubmit}>
          {busy ? 'Submitting…' : `Submit for ${name}`}
        </button>
      )}
      {app.state === 'sent' && app.step !== 'signed' && <p class="small muted">{name} is filling it in; you can submit once they sign it.</p>}
      {app.state === 'submitted' && <p class="small muted" role="status">Outside the store's rules: a supervisor decides now.</p>}
      {app.state === 'approved' && (
        <p class="status-ok small" role="status" data-testid="credit-decision">
          <CheckIcon size={14} /> Approved {formatMoney(app.limitMinor, app.currency)}
          {app.automatic ? ' within the store’s rules' : ' by a supervisor'} — {name} can pay with it now.
        </p>
      )}
    </>
  );
}
