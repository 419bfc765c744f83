// CreditReview: a supervisor's list of their store's credit applications,
// with approve (a limit) or decline (a reason) for the submitted ones.

import { useEffect, useState } from 'preact/hooks';
import { api, type CreditApplication, type CreditState } from '../../backend/web/ui/api';
import { ShieldIcon } from '../../backend/web/ui/icons';
import { errorMessage } from '../../backend/web/ui/session';
import { Loading, StatusLines } from './StatusLines';
import { eurosToMinor, minorToEuros } from './catalogApi';
import { formatMoney } from '../../backend/web/ui/money';
import { Facts } from '../../backend/web/ui/Facts';
import type { DeskSignal } from './deskSignal';

/** credit is the supervisor's credit endpoints. */
export const credit = {
  list: () => api.get<{ applications: CreditApplication[] }>('/desk/credit-applications').then((r) => r.applications ?? []),
  decide: (id: string, body: { approve: boolean; limitMinor?: number; reason?: string }) =>
    api
      .post<{ application: CreditApplication }>(`/desk/credit-applications/${encodeURIComponent(id)}/decision`, body)
      .then((r) => r.application),
};

const stateNames: Record<CreditState, string> = {
  sent: 'Being filled in, in a call',
  submitted: 'To decide',
  approved: 'Approved',
  declined: 'Declined',
};

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/**
 * CreditReview lists the store's applications; submitted ones first. An
 * application outside the store's rules arrives at once: the server pushes
 * credit.update to the supervisors' desks (onMessage), and the list reloads.
 */
export function CreditReview({ storeName, onMessage }: { storeName: string; onMessage?: DeskSignal['onMessage'] }) {
  const [apps, setApps] = useState<CreditApplication[] | null>(null);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');

  async function load() {
    try {
      setApps(await credit.list());
      setError('');
    } catch (e) {
      setError(errorMessage(e));
    }
  }
  useEffect(() => {
    void load();
  }, []);
  useEffect(
    () =>
      onMessage?.((m) => {
        if (m.type === 'credit.update') void load();
      }),
    [onMessage],
  );

  const order: Record<CreditState, number> = { submitted: 0, sent: 1, approved: 2, declined: 3 };
  const sorted = apps ? [...apps].sort((a, b) => order[a.state] - order[b.state]) : null;
  const waiting = apps?.filter((a) => a.state === 'submitted').length ?? 0;

  return (
    <section class="card credit-review" aria-labelledby="credit-title">
      <div class="catalog-head">
        <div class="tile-head">
          <ShieldIcon size={20} />
          <h2 id="credit-title">Store credit</h2>
        </div>
        <p class="muted small catalog-sub">
          Applications your agents sent to shoppers of {storeName}
          {waiting > 0 && (
            <>
              {' '}
              · <strong>{waiting} to decide</strong>
            </>
          )}
          .
        </p>
        <button type="button" class="btn btn-ghost btn-sm" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <StatusLines notice={notice} error={error} />
      {sorted === null && !error ? (
        <Loading what="applications" />
      ) : sorted && sorted.length === 0 ? (
        <p class="muted catalog-empty">No credit applications yet. Agents send them to members during a call.</p>
      ) : sorted ? (
        <ul class="stack-list credit-apps">
          {sorted.map((a) => (
            <ApplicationRow
              key={a.id}
              app={a}
              onDecided={(d) => {
                setNotice(
                  d.state === 'approved'
                    ? `Approved ${formatMoney(d.limitMinor, d.currency)} for ${d.fullName}.`
                    : `Declined the application of ${d.fullName}.`,
                );
                setApps((all) => (all ?? []).map((x) => (x.id === d.id ? d : x)));
              }}
            />
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function ApplicationRow({ app: a, onDecided }: { app: CreditApplication; onDecided(a: CreditApplication): void }) {
  const [limit, setLimit] = useState(() => minorToEuros(a.requestedLimitMinor || 10000));
  const [reason, setReason] = useState('');
  const [mode, setMode] = useState<'' | 'decline'>('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const who = a.fullName || a.applicant?.name || 'A member';

  async function decide(approve: boolean) {
    setError('');
    const body: { approve: boolean; limitMinor?: number; reason?: string } = { approve };
    if (approve) {
      const minor = eurosToMinor(limit);
      if (minor === null || minor < 100) return setError('Enter the limit in euros, like 500.');
      body.limitMinor = minor;
    } else {
      if (!reason.trim()) return setError('Say why the application is declined; the shopper reads it.');
      body.reason = reason.trim();
    }
    setBusy(true);
    try {
      onDecided(await credit.decide(a.id, body));
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  }

  return (
    <li class={`credit-app credit-app-${a.state}`}>
      <div class="credit-app-head">
        <div>
          <p class="credit-app-name">{who}</p>
          {a.applicant && <p class="muted small">{a.applicant.email}</p>}
        </div>
        <span class={`badge credit-state credit-state-${a.state}`}>{stateNames[a.state]}</span>
      </div>
      {a.state !== 'sent' && (
        <Facts
          class="credit-app-facts"
          facts={[
            ['Employer', a.employer],
            ['Monthly income', formatMoney(a.monthlyIncomeMinor, a.currency)],
            ['Asks for', formatMoney(a.requestedLimitMinor, a.currency)],
            a.state === 'approved' && ['Limit · left', `${formatMoney(a.limitMinor, a.currency)} · ${formatMoney(a.remainingMinor, a.currency)}`],
            a.submittedAt && ['Submitted', when.format(new Date(a.submittedAt))],
          ]}
        />
      )}
      {a.state === 'declined' && a.decisionReason && <p class="muted small">Reason: {a.decisionReason}</p>}
      {a.state === 'submitted' && (
        <div class="credit-decide" role="group" aria-label={`Decide the application of ${who}`}>
          {mode === '' ? (
            <>
              <div class="field">
                <label for={`limit-${a.id}`}>Limit (€)</label>
                <input id={`limit-${a.id}`} value={limit} inputMode="decimal" onInput={(e) => setLimit(e.currentTarget.value)} />
              </div>
              <button type="button" class="btn btn-primary btn-sm" disabled={busy} onClick={() => decide(true)}>
                {busy ? 'Approving…' : 'Approve'}
              </button>
              <button type="button" class="btn btn-secondary btn-sm" disabled={busy} onClick={() => setMode('decline')}>
                Decline…
              </button>
            </>
          ) : (
            <>
              <div class="field credit-reason">
                <label for={`reason-${a.id}`}>Reason (the shopper reads it)</label>
                <input id={`reason-${a.id}`} value={reason} maxLength={300} onInput={(e) => setReason(e.currentTarget.value)} />
              </div>
              <button type="button" class="btn btn-primary btn-sm catalog-danger-fill" disabled={busy} onClick={() => decide(false)}>
                {busy ? 'Declining…' : 'Decline'}
              </button>
              <button type="button" class="btn btn-ghost btn-sm" disabled={busy} onClick={() => setMode('')}>
                Back
              </button>
            </>
          )}
        </div>
      )}
      {error && (
        <p class="status status-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
