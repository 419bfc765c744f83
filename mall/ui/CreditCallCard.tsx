// CreditCallCard: the store credit application the agent sent during the
// call, inside the shopper's call panel. The shopper fills it in (the agent
// sees which fields are filled, never the answers), signs it with their
// passkey, and the agent submits it; the decision — by the store's rules or
// a supervisor — comes back here over the call's socket ("credit.update"),
// and an approved line pays the order placed in the call.
//
// CreditFlow is the same application outside a call (/credit/{id}).

import { useEffect, useRef, useState } from 'preact/hooks';
import type { CreditUpdate } from '../../media/client/messages.gen';
import { CheckIcon, KeyIcon } from '../../backend/web/ui/icons';
import { formatMoney } from '../../backend/web/ui/money';
import { errorMessage } from '../../backend/web/ui/session';
import { capitalize } from './AddToCart';
import { eurosToCents } from './CreditApplication';
import { orderPath, linkClick } from './router';
import { shop, type CreditApplication, type Order } from './shopApi';
import { signWithPasskey } from './SignOrder';
import { useAgentName } from './SuggestionNotice';
import { useTalk, useTalkSession } from './talkSession';
import './credit-call.css';

/** CreditCallCard shows the application sent in the active call, if any. */
export function CreditCallCard() {
  const talk = useTalkSession();
  const s = useTalk();
  const entryId = (s.snap.call ?? s.last)?.queue?.entryId ?? '';
  const agent = useAgentName();
  const [app, setApp] = useState<CreditApplication | null>(null);

  // An application sent before this page loaded (a reload in the call).
  useEffect(() => {
    if (!entryId) return;
    let live = true;
    shop.creditApplications().then(
      (apps) => {
        const mine = apps.find((a) => a.entryId === entryId);
        if (live && mine) setApp(mine);
      },
      () => {},
    );
    return () => {
      live = false;
    };
  }, [entryId]);

  // Every change of the application reaches the call as credit.update.
  useEffect(
    () =>
      talk.listen((m) => {
        if (m.type !== 'credit.update' || m.data.entryId !== entryId) return;
        const u: CreditUpdate = m.data;
        shop.creditApplication(u.applicationId).then(setApp, () => {});
      }),
    [talk, entryId],
  );

  // The panel folds itself on a phone during a call; an application that
  // waits for the shopper, or its decision, opens it again.
  const needsShopper = app !== null && (app.state === 'sent' ? app.step !== 'signed' : app.state !== 'submitted');
  const attentionKey = app ? `${app.id}:${app.state}:${app.step}` : '';
  useEffect(() => {
    if (needsShopper) talk.setMinimized(false);
  }, [attentionKey]);

  if (!app || !entryId) return null;
  return <CreditFlow app={app} onChange={setApp} agent={agent} inCall />;
}

interface FlowProps {
  app: CreditApplication;
  onChange(a: CreditApplication): void;
  /** agent names the sales agent (in a call) who submits the application. */
  agent: string;
  inCall?: boolean;
}

/** CreditFlow is the application at whatever step it is: form, signature, waiting, decision. */
export function CreditFlow({ app, onChange, agent, inCall }: FlowProps) {
  const [editing, setEditing] = useState(false);
  let body;
  if (app.state === 'sent' && (app.step === 'opened' || app.step === 'filling' || editing)) {
    body = <CreditForm app={app} onFilled={(a) => (setEditing(false), onChange(a))} />;
  } else if (app.state === 'sent' && app.step === 'filled') {
    body = <SignCredit app={app} onSigned={onChange} onEdit={() => setEditing(true)} />;
  } else if (app.state === 'sent') {
    body = (
      <p class="credit-call-wait" role="status">
        <CheckIcon size={16} /> Signed. {inCall ? `${agent} submits it for you now.` : 'The store submits it for you.'}
      </p>
    );
  } else if (app.state === 'submitted') {
    body = (
      <p class="credit-call-wait" role="status">
        <span class="spinner" aria-hidden="true" /> A supervisor at {app.store.name} is deciding — the answer appears here.
      </p>
    );
  } else if (app.state === 'approved') {
    body = <Approved app={app} />;
  } else {
    body = (
      <div class="credit-call-declined" role="status">
        <p class="credit-call-big">Not approved this time</p>
        {app.decisionReason && <p>{capitalize(app.decisionReason)}.</p>}
      </div>
    );
  }
  return (
    <section class="credit-call" aria-labelledby="credit-call-title" data-state={app.state} data-step={app.step} data-testid="credit-call">
      <header class="credit-call-head">
        <KeyIcon size={16} />
        <h2 id="credit-call-title">Store credit at {app.store.name}</h2>
      </header>
      <Steps app={app} />
      {body}
    </section>
  );
}

const stepNames = ['Fill in', 'Sign', 'Submitted', 'Decision'];

/** Steps shows where the application stands, for eyes and screen readers. */
function Steps({ app }: { app: CreditApplication }) {
  const at =
    app.state === 'sent' ? (app.step === 'filled' ? 1 : app.step === 'signed' ? 2 : 0) : app.state === 'submitted' ? 2 : 4;
  return (
    <ol class="credit-call-steps" aria-label="Steps">
      {stepNames.map((n, i) => (
        <li key={n} class={i < at ? 'is-done' : i === at ? 'is-now' : ''} aria-current={i === at ? 'step' : undefined}>
          {n}
        </li>
      ))}
    </ol>
  );
}

/** filledNames lists the fields with an answer, in the server's names. */
function filledNames(v: { name: string; employer: string; income: string; limit: string; consent: boolean }): string[] {
  const out: string[] = [];
  if (v.name.trim()) out.push('fullName');
  if (v.employer.trim()) out.push('employer');
  if (v.income.trim()) out.push('monthlyIncome');
  if (v.limit.trim()) out.push('requestedLimit');
  if (v.consent) out.push('consent');
  return out;
}

function CreditForm({ app, onFilled }: { app: CreditApplication; onFilled(a: CreditApplication): void }) {
  const [v, setV] = useState({
    name: app.fullName,
    employer: app.employer,
    income: app.monthlyIncomeMinor ? String(app.monthlyIncomeMinor / 100) : '',
    limit: app.requestedLimitMinor ? String(app.requestedLimitMinor / 100) : '',
    consent: false,
  });
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const reported = useRef((app.filled ?? []).join(','));

  // The agent follows along: the names of the filled fields, when they change.
  useEffect(() => {
    const names = filledNames(v).join(',');
    if (names === reported.current) return;
    const t = setTimeout(() => {
      reported.current = names;
      shop.creditProgress(app.id, names ? names.split(',') : []).catch(() => {});
    }, 400);
    return () => clearTimeout(t);
  }, [v.name.trim() !== '', v.employer.trim() !== '', v.income.trim() !== '', v.limit.trim() !== '', v.consent]);

  const set = (k: keyof typeof v) => (e: Event) => {
    const t = e.currentTarget as HTMLInputElement;
    setV({ ...v, [k]: t.type === 'checkbox' ? t.checked : t.value });
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const monthlyIncomeMinor = eurosToCents(v.income);
    const requestedLimitMinor = eurosToCents(v.limit);
    if (v.name.trim().length < 2) return setError('Enter your full name.');
    if (!v.employer.trim()) return setError('Enter your employer, or "self-employed".');
    if (monthlyIncomeMinor === null) return setError('Enter your monthly income in euros, like 2400.');
    if (requestedLimitMinor === null || requestedLimitMinor < 100) return setError('Enter the credit limit you ask for in euros, like 500.');
    if (!v.consent) return setError('Tick the box to agree to the credit check.');
    setError('');
    setBusy(true);
    try {
      onFilled(
        await shop.fillCreditApplication(app.id, { fullName: v.name.trim(), employer: v.employer.trim(), monthlyIncomeMinor, requestedLimitMinor, consent: true }),
      );
    } catch (err) {
      setError(capitalize(errorMessage(err)) + '.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="credit-call-form" onSubmit={submit} noValidate>
      <p class="credit-call-note">Your agent sees which fields you have filled in, not your answers.</p>
      <label>
        Full name
        <input value={v.name} onInput={set('name')} autoComplete="name" />
      </label>
      <label>
        Employer
        <input value={v.employer} onInput={set('employer')} autoComplete="organization" />
      </label>
      <div class="credit-call-pair">
        <label>
          Monthly income (€)
          <input value={v.income} onInput={set('income')} inputMode="decimal" placeholder="2400" />
        </label>
        <label>
          Credit limit (€)
          <input value={v.limit} onInput={set('limit')} inputMode="decimal" placeholder="500" />
        </label>
      </div>
      <label class="credit-call-consent">
        <input type="checkbox" checked={v.consent} onChange={set('consent')} />
        <span>I agree that {app.store.name} checks my credit before deciding.</span>
      </label>
      {error && (
        <p class="credit-call-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="btn btn-primary btn-sm" disabled={busy}>
        {busy ? 'Saving…' : 'Continue to sign'}
      </button>
    </form>
  );
}

function SignCredit({ app, onSigned, onEdit }: { app: CreditApplication; onSigned(a: CreditApplication): void; onEdit(): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const sign = async () => {
    setBusy(true);
    setError('');
    try {
      const begun = await shop.creditSignBegin(app.id);
      const credential = await signWithPasskey(begun.options.publicKey);
      onSigned(await shop.creditSignFinish(app.id, begun.ceremony, credential));
    } catch (e) {
      setError(capitalize(errorMessage(e).replace('the order is not signed', 'the application is not signed')) + '.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="credit-call-sign">
      <dl class="credit-call-facts">
        <dt>Name</dt>
        <dd>{app.fullName}</dd>
        <dt>Employer</dt>
        <dd>{app.employer}</dd>
        <dt>Monthly income</dt>
        <dd>{formatMoney(app.monthlyIncomeMinor, app.currency)}</dd>
        <dt>Limit asked for</dt>
        <dd>{formatMoney(app.requestedLimitMinor, app.currency)}</dd>
      </dl>
      {error && (
        <p class="credit-call-error" role="alert">
          {error}
        </p>
      )}
      <div class="credit-call-row">
        <button type="button" class="btn btn-primary btn-sm" disabled={busy} onClick={() => void sign()}>
          <KeyIcon size={16} /> {busy ? 'Signing…' : 'Sign application with your passkey'}
        </button>
        <button type="button" class="btn btn-secondary btn-sm" disabled={busy} onClick={onEdit}>
          Change
        </button>
      </div>
    </div>
  );
}

/** Approved shows the credit line and pays the order placed in the call with it. */
function Approved({ app }: { app: CreditApplication }) {
  const [order, setOrder] = useState<Order | null>(null);
  const [paid, setPaid] = useState<Order | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    shop.orders().then(
      (os) => live && setOrder(os.find((o) => o.store.slug === app.store.slug && (o.state === 'draft' || o.state === 'signed')) ?? null),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [app.id, app.state, tick]);
  const unsigned = order && order.needsSignature && order.state !== 'signed';
  // The order may be signed on its page meanwhile: look again until it is.
  useEffect(() => {
    if (!unsigned || paid) return;
    const t = setInterval(() => setTick((n) => n + 1), 2000);
    return () => clearInterval(t);
  }, [unsigned, paid]);
  const pay = async () => {
    if (!order) return;
    setBusy(true);
    setError('');
    try {
      setPaid((await shop.pay(order.id, 'credit')).order);
    } catch (e) {
      setError(capitalize(errorMessage(e)) + '.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="credit-call-approved" role="status">
      <p class="credit-call-big">
        <CheckIcon size={18} /> Approved: {formatMoney(app.limitMinor, app.currency)} of store credit
      </p>
      <p class="credit-call-note">{app.automatic ? `Within ${app.store.name}'s rules — approved at once.` : `Approved by a supervisor at ${app.store.name}.`}</p>
      {paid ? (
        <p class="credit-call-paid" data-testid="credit-paid">
          <CheckIcon size={16} /> Order paid with store credit.{' '}
          <a href={orderPath(paid.id)} onClick={linkClick(orderPath(paid.id))}>
            See the order
          </a>
        </p>
      ) : order && unsigned ? (
        <p class="credit-call-note">
          Sign your order with your passkey first, then pay it here or{' '}
          <a href={orderPath(order.id)} onClick={linkClick(orderPath(order.id))}>
            on the order page
          </a>
          .
        </p>
      ) : order ? (
        <button type="button" class="btn btn-primary btn-sm" disabled={busy || app.remainingMinor < order.totalMinor} onClick={() => void pay()}>
          {busy ? 'Paying…' : `Pay ${formatMoney(order.totalMinor, order.currency)} with store credit`}
        </button>
      ) : null}
      {error && (
        <p class="credit-call-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
