// CreditApplication: a store's agent sent the member a credit application in
// a call (CreditCallCard shows it there); here (/credit/{id}) they can finish
// it too and see the store's decision. /credit lists them.

import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from '../../backend/web/ui/session';
import { capitalize } from './AddToCart';
import { ErrorCard } from './ErrorCard';
import { formatMoney } from '../../backend/web/ui/money';
import { Facts } from '../../backend/web/ui/Facts';
import { formatWhen } from './OrderPage';
import { creditPath, linkClick, storePath } from './router';
import { shop, type CreditApplication, type CreditState } from './shopApi';
import { CheckCircleIcon } from './shopIcons';
import { CreditFlow } from './CreditCallCard';

const stateNames: Record<CreditState, string> = {
  sent: 'Waiting for you',
  submitted: 'Under review',
  approved: 'Approved',
  declined: 'Declined',
};

/** stateTones colour the states: waiting on the shopper, on the store, done well or not. */
const stateTones: Record<CreditState, string> = {
  sent: 'tone-warn',
  submitted: 'tone-accent',
  approved: 'tone-ok',
  declined: 'tone-danger',
};

/** CreditStateBadge shows where an application stands. */
function CreditStateBadge({ state }: { state: CreditState }) {
  return (
    <span class={`badge credit-badge ${stateTones[state]}`} data-state={state}>
      {stateNames[state]}
    </span>
  );
}

/** eurosToCents parses "1200", "1200.5" or "1 200,50" into cents; null when it is not an amount. */
export function eurosToCents(text: string): number | null {
  const t = text.trim().replace(/[\s\u00a0]/g, '').replace(',', '.');
  if (!/^\d{1,9}(\.\d{1,2})?$/.test(t)) return null;
  const [whole, frac = ''] = t.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}

type Loaded<T> = { state: 'loading' } | { state: 'error'; message: string; notFound: boolean } | { state: 'done'; data: T };

function useFetch<T>(key: string, f: () => Promise<T>): [Loaded<T>, (v: T) => void] {
  const [load, setLoad] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    let live = true;
    setLoad({ state: 'loading' });
    f().then(
      (data) => live && setLoad({ state: 'done', data }),
      (e: unknown) =>
        live &&
        setLoad({ state: 'error', message: errorMessage(e), notFound: (e as { status?: number }).status === 404 }),
    );
    return () => {
      live = false;
    };
  }, [key]);
  return [load, (data: T) => setLoad({ state: 'done', data })];
}

/** CreditPage shows one application (id) or the member's list (no id). */
export function CreditPage({ id, signedIn }: { id: string; signedIn: boolean }) {
  if (!signedIn) {
    return (
      <ErrorCard
        title="Sign in to see your credit application"
        message="Store credit applications belong to members. Sign in with your passkey, then open the link again."
      />
    );
  }
  return id ? <OneApplication id={id} /> : <Applications />;
}

function Applications() {
  const [load] = useFetch('list', shop.creditApplications);
  useEffect(() => {
    document.title = 'Store credit — livemall';
  }, []);
  if (load.state === 'loading') return <div class="banner-skeleton" aria-busy="true" aria-label="Loading your applications" />;
  if (load.state === 'error') return <ErrorCard title="Your applications did not load" message={load.message} />;
  return (
    <div class="credit-page">
      <h1 class="page-title">Store credit</h1>
      {load.data.length === 0 ? (
        <p class="muted">No store has sent you a credit application yet. A sales agent can send you one during a call.</p>
      ) : (
        <ul class="stack-list credit-list">
          {load.data.map((a) => (
            <li key={a.id} class="card credit-row">
              <a href={creditPath(a.id)} onClick={linkClick(creditPath(a.id))}>
                {a.store.name}
              </a>
              <CreditStateBadge state={a.state} />
              {a.state === 'approved' && (
                <span class="muted small">
                  {formatMoney(a.remainingMinor, a.currency)} of {formatMoney(a.limitMinor, a.currency)} left
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function OneApplication({ id }: { id: string }) {
  const [load, set] = useFetch(id, () => shop.creditApplication(id));
  useEffect(() => {
    document.title = 'Credit application — livemall';
  }, []);
  if (load.state === 'loading') return <div class="banner-skeleton" aria-busy="true" aria-label="Loading the application" />;
  if (load.state === 'error') {
    return <ErrorCard title={load.notFound ? 'No such application of yours' : 'The application did not load'} message={load.message} />;
  }
  const a = load.data;
  return (
    <div class="credit-page">
      <div class="page-head">
        <div>
          <p class="eyebrow">
            <a href={storePath(a.store.slug)} onClick={linkClick(storePath(a.store.slug))}>
              {a.store.name}
            </a>
          </p>
          <h1 class="page-title">Store credit application</h1>
          <p class="muted order-meta">Sent {formatWhen(a.createdAt)}</p>
        </div>
        <CreditStateBadge state={a.state} />
      </div>
      {a.state === 'sent' ? <CreditFlow app={a} onChange={set} agent="The store" /> : <Outcome app={a} />}
    </div>
  );
}

function Outcome({ app: a }: { app: CreditApplication }) {
  return (
    <>
      <section class={`card credit-outcome credit-outcome-${a.state}`} aria-live="polite">
        {a.state === 'approved' && (
          <>
            <span class="confirm-icon" aria-hidden="true">
              <CheckCircleIcon size={40} />
            </span>
            <h2>Approved: {formatMoney(a.limitMinor, a.currency)} of store credit</h2>
            <p>
              Pay orders at {a.store.name} with it: choose <strong>Pay with store credit</strong> at checkout.
            </p>
            <Facts
              class="credit-facts credit-balance"
              facts={[
                ['Used', formatMoney(a.usedMinor, a.currency)],
                ['Left to spend', formatMoney(a.remainingMinor, a.currency), 'price'],
              ]}
            />
            {a.decisionReason && <p class="muted small">{capitalize(a.decisionReason)}.</p>}
            <a class="btn btn-primary" href={storePath(a.store.slug)} onClick={linkClick(storePath(a.store.slug))}>
              Shop at {a.store.name}
            </a>
          </>
        )}
        {a.state === 'declined' && (
          <>
            <h2>Declined</h2>
            <p>{a.store.name} did not grant store credit this time.</p>
            {a.decisionReason && <p class="status status-error">{capitalize(a.decisionReason)}.</p>}
          </>
        )}
        {a.state === 'submitted' && (
          <>
            <h2>Thank you — your application is under review</h2>
            <p>A supervisor at {a.store.name} decides on it. This page shows the answer once they have.</p>
          </>
        )}
      </section>
      <section class="card credit-answers" aria-labelledby="credit-answers-title">
        <h2 id="credit-answers-title" class="card-title">
          Your application
        </h2>
        <Facts
          class="credit-facts"
          facts={[
            ['Name', a.fullName],
            ['Employer', a.employer],
            ['Monthly income', formatMoney(a.monthlyIncomeMinor, a.currency)],
            ['Limit asked for', formatMoney(a.requestedLimitMinor, a.currency)],
          ]}
        />
        {a.submittedAt && <p class="muted small">Sent to {a.store.name} {formatWhen(a.submittedAt)}</p>}
      </section>
    </>
  );
}
