// OrderPage: checkout for an unpaid order (summary, state, Pay) and the
// confirmation once it is paid.

import { StripeCard } from './StripeCard';
import { BoardFromCall } from './BoardDock';
import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from '../../backend/web/ui/session';
import { capitalize } from './AddToCart';
import { Totals } from './CartPage';
import { ErrorCard } from './ErrorCard';
import { formatMoney } from '../../backend/web/ui/money';
import { AgeBadge } from './ProductCard';
import { linkClick, ordersPath, storePath } from './router';
import { canPay, helpedByLine, mustSign, orderNumber, shop, stateName, type CreditApplication, type Order, type OrderState, type PaymentStart } from './shopApi';
import { AlertIcon, CheckCircleIcon } from './shopIcons';
import { SignOrder } from './SignOrder';
import { useTalk } from './talkSession';
import { AgeNotice } from './AgeNotice';

/** StateBadge shows an order's state in words and colour. */
export function StateBadge({ state }: { state: OrderState }) {
  return (
    <span class={`badge state-badge state-${state}`} data-state={state}>
      {stateName(state)}
    </span>
  );
}

/** TestPaymentBadge says plainly that the offline provider took no money. */
export function TestPaymentBadge() {
  return <span class="badge badge-test">Test payment — no money was taken</span>;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** formatWhen renders an RFC 3339 time for people. */
export function formatWhen(at: string): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? at : dateTime.format(d);
}

type Loaded = { state: 'loading' } | { state: 'error'; message: string; notFound: boolean } | { state: 'done'; order: Order };

/** OrderPage loads one of the shopper's orders and shows checkout or the confirmation. */
export function OrderPage({ id }: { id: string }) {
  const [load, setLoad] = useState<Loaded>({ state: 'loading' });

  useEffect(() => {
    let live = true;
    setLoad({ state: 'loading' });
    shop.order(id).then(
      (order) => live && setLoad({ state: 'done', order }),
      (e: unknown) =>
        live &&
        setLoad({ state: 'error', message: errorMessage(e), notFound: (e as { status?: number }).status === 404 }),
    );
    return () => {
      live = false;
    };
  }, [id]);

  // While the order waits for the agent's age check or the shopper's
  // signature, look again every 2 s so the next step (or a refusal) shows at
  // once. A poll answered after a newer step (the signature) is dropped.
  const waiting = load.state === 'done' && (load.order.state === 'awaiting_verification' || mustSign(load.order));
  useEffect(() => {
    if (!waiting) return;
    const t = setInterval(() => {
      shop.order(id).then(
        (order) => setLoad((cur) => (cur.state === 'done' && cur.order.events.length > order.events.length ? cur : { state: 'done', order })),
        () => {},
      );
    }, 2_000);
    return () => clearInterval(t);
  }, [id, waiting]);

  useEffect(() => {
    if (load.state !== 'done') return;
    const o = load.order;
    document.title = `${o.state === 'confirmed' || o.state === 'paid' ? 'Order confirmed' : 'Checkout'} — livemall`;
  }, [load]);

  if (load.state === 'loading') return <div class="banner-skeleton" aria-busy="true" aria-label="Loading your order" />;
  if (load.state === 'error') {
    return <ErrorCard title={load.notFound ? 'No such order of yours' : 'The order did not load'} message={load.message} />;
  }
  const set = (order: Order) => setLoad({ state: 'done', order });
  const o = load.order;
  if (o.state === 'confirmed' || o.state === 'paid') return <Confirmation order={o} />;
  return <Checkout order={o} onChange={set} />;
}

/** follow re-reads the order every 2 s for a minute, until Stripe's webhook has confirmed it. */
function follow(id: string, onChange: (o: Order) => void) {
  const until = Date.now() + 60_000;
  const tick = () =>
    shop.order(id).then(
      (o) => {
        onChange(o);
        if (o.state !== 'confirmed' && o.state !== 'refused' && Date.now() < until) setTimeout(tick, 2000);
      },
      () => Date.now() < until && setTimeout(tick, 2000),
    );
  tick();
}

function Checkout({ order, onChange }: { order: Order; onChange(o: Order): void }) {
  const [busy, setBusy] = useState<'' | 'pay' | 'credit' | 'abandon'>('');
  const [error, setError] = useState('');
  const [payment, setPayment] = useState<PaymentStart | null>(null);
  const [credit, setCredit] = useState<CreditApplication | null>(null);
  // A member's approved credit line at this store is one more way to pay.
  useEffect(() => {
    shop.creditApplications().then(
      (apps) => setCredit(apps.find((a) => a.state === 'approved' && a.store.slug === order.store.slug) ?? null),
      () => setCredit(null),
    );
  }, [order.store.slug, order.state]);
  const closed = order.state === 'refused' || order.state === 'abandoned';
  const talking = useTalk();
  const onCall = talking.snap.call?.phase === 'active';
  const reason = [...order.events].reverse().find((e) => e.to === order.state)?.reason;

  const pay = async (method?: 'credit') => {
    setBusy(method ?? 'pay');
    setError('');
    try {
      const r = await shop.pay(order.id, method);
      onChange(r.order);
      if (r.payment) setPayment(r.payment);
    } catch (e) {
      setError(errorMessage(e));
      // A refusal (sold out) moves the order: show where it stands now.
      shop.order(order.id).then(onChange, () => {});
    } finally {
      setBusy('');
    }
  };

  const abandon = async () => {
    setBusy('abandon');
    setError('');
    try {
      onChange(await shop.abandon(order.id));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy('');
    }
  };

  const storeTo = storePath(order.store.slug);
  const heading = order.state === 'refused' ? 'Order refused' : order.state === 'abandoned' ? 'Order cancelled' : 'Checkout';
  return (
    <div class="checkout-page" data-testid="order-state" data-state={order.state}>
      <div class="page-head">
        <div>
          <p class="eyebrow">
            <a href={storeTo} onClick={linkClick(storeTo)}>
              {order.store.name}
            </a>
          </p>
          <h1 class="page-title">{heading}</h1>
          <p class="muted order-meta">
            Order <span class="mono">{orderNumber(order.id)}</span> · {formatWhen(order.createdAt)}
          </p>
        </div>
        {mustSign(order) ? (
          <span class="badge state-badge state-draft" data-state="draft">
            Awaiting your signature
          </span>
        ) : (
          <StateBadge state={order.state} />
        )}
      </div>

      {/* Where the order stands goes above both columns, clear of the call panel docked at the right. */}
      {order.state === 'awaiting_verification' && (
        <div class="verify-note" role="status">
          <AlertIcon size={20} />
          <div>
            {onCall ? (
              <>
                <p class="verify-title">
                  <span class="spinner spinner-xs" aria-hidden="true" /> Waiting for the agent's age check
                </p>
                <p class="small">
                  This order holds age-restricted products. Your sales agent checks your age on the video call;
                  then you sign and pay here. This page updates by itself.
                </p>
              </>
            ) : (
              <>
                <p class="verify-title">Age verification by a sales agent is required</p>
                <p class="small">
                  This order holds age-restricted products. Talk to a sales agent at {order.store.name} on video:
                  once they have checked your age you sign and pay here. This page updates by itself.
                </p>
              </>
            )}
          </div>
        </div>
      )}

      {order.state === 'awaiting_verification' && <AgeNotice store={order.store.slug} pending />}
      {closed && reason && <RefusalNote state={order.state} reason={reason} />}

      <div class="cart-layout">
        <section class="card" aria-labelledby="lines-title">
          <h2 id="lines-title" class="card-title">
            Order summary
          </h2>
          <OrderLines order={order} />
        </section>

        <aside class="card cart-summary" aria-labelledby="pay-title">
          <h2 id="pay-title">Payment</h2>
          <Totals subtotal={order.subtotalMinor} tax={order.taxMinor} total={order.totalMinor} currency={order.currency} />

          {mustSign(order) && <SignOrder order={order} onSigned={onChange} />}

          {canPay(order) && !payment && (
            <>
              <button type="button" class="btn btn-primary btn-block btn-checkout" disabled={busy !== ''} onClick={() => pay()}>
                {busy === 'pay' && <span class="spinner" aria-hidden="true" />}
                Pay {formatMoney(order.totalMinor, order.currency)}
              </button>
              {credit && (
                <button
                  type="button"
                  class="btn btn-secondary btn-block pay-credit"
                  disabled={busy !== '' || credit.remainingMinor < order.totalMinor}
                  onClick={() => pay('credit')}
                >
                  {busy === 'credit' && <span class="spinner" aria-hidden="true" />}
                  Pay with store credit
                  <span class="small muted">
                    {formatMoney(credit.remainingMinor, order.currency)} of {formatMoney(credit.limitMinor, order.currency)} left
                  </span>
                </button>
              )}
              {order.paymentProvider === 'offline' && (
                <p class="hint center">This mall takes test payments: no money will be taken.</p>
              )}
            </>
          )}

          {order.payment && !closed && (
            <p class={`status ${order.payment.status === 'declined' ? 'status-error' : ''}`} role="status" data-payment={order.payment.status}>
              Card payment: {order.payment.message}.
              {order.payment.status !== 'unknown' && !payment && ' Press Pay to go on with it.'}
            </p>
          )}

          {payment?.provider === 'stripe' && order.state !== 'paid' && order.state !== 'confirmed' && (
            <StripeCard payment={payment} onPaid={() => follow(order.id, onChange)} />
          )}


          {error && (
            <p class="status status-error" role="alert">
              {capitalize(error)}.
            </p>
          )}

          {!closed && (
            <button type="button" class="btn btn-ghost btn-block" disabled={busy !== ''} onClick={abandon}>
              Cancel order
            </button>
          )}
          {closed && (
            <a class="btn btn-secondary btn-block" href={storeTo} onClick={linkClick(storeTo)}>
              Back to {order.store.name}
            </a>
          )}
        </aside>
      </div>
      <BoardFromCall orderId={order.id} />
    </div>
  );
}

/** shopperWords turns a reason the server wrote about "the shopper" into one addressed to them. */
function shopperWords(reason: string): string {
  return reason.replace(/\bthe shopper is\b/g, 'you are').replace(/\bthe shopper\b/g, 'you');
}

/** RefusalNote says why an order was refused or cancelled, and that nothing was charged. */
function RefusalNote({ state, reason }: { state: OrderState; reason: string }) {
  const refused = state === 'refused';
  return (
    <div class="refusal-note" role="alert" data-testid="order-reason">
      <AlertIcon size={20} />
      <div>
        <p class="verify-title">{refused ? 'This order was refused' : 'This order was cancelled'}</p>
        <p class="small">{capitalize(shopperWords(reason))}.</p>
        {refused && <p class="small">Nothing was charged.</p>}
      </div>
    </div>
  );
}

function Confirmation({ order }: { order: Order }) {
  const storeTo = storePath(order.store.slug);
  // Paying happens at the foot of the checkout page: show the confirmation from its top.
  useEffect(() => window.scrollTo({ top: 0 }), []);
  return (
    <div class="confirmation" data-testid="order-state" data-state={order.state}>
      <section class="card confirm-hero" aria-labelledby="confirm-title">
        <span class="confirm-icon" aria-hidden="true">
          <CheckCircleIcon size={40} />
        </span>
        <h1 id="confirm-title" class="page-title">
          Order confirmed
        </h1>
        <p class="confirm-lead">
          Thank you. {order.store.name} has your order and is getting it ready.
        </p>
        <p class="confirm-number">
          <span class="muted">Order number</span>
          <span class="mono">{orderNumber(order.id)}</span>
        </p>
        <div class="confirm-badges">
          <StateBadge state={order.state} />
          {order.testPayment && <TestPaymentBadge />}
        </div>
      </section>

      <section class="card confirm-summary" aria-labelledby="confirm-lines">
        <h2 id="confirm-lines" class="card-title">
          What you bought
        </h2>
        <OrderLines order={order} />
        <Totals subtotal={order.subtotalMinor} tax={order.taxMinor} total={order.totalMinor} currency={order.currency} />
        <p class="muted small">Placed {formatWhen(order.createdAt)}</p>
        {order.helpedBy?.length ? (
          <p class="small helped-by" data-testid="helped-by">
            {helpedByLine(order.helpedBy)}
          </p>
        ) : null}
      </section>

      <BoardFromCall orderId={order.id} />

      <div class="actions center-actions">
        <a class="btn btn-primary" href={storeTo} onClick={linkClick(storeTo)}>
          Back to {order.store.name}
        </a>
        <a class="btn btn-secondary" href={ordersPath} onClick={linkClick(ordersPath)}>
          Your orders
        </a>
      </div>
    </div>
  );
}

/** OrderLines lists what an order holds. */
export function OrderLines({ order }: { order: Order }) {
  return (
    <ul class="order-lines">
      {order.lines.map((l) => (
        <li key={l.sku} class="order-line">
          <span class="order-line-qty">{l.quantity} ×</span>
          <span class="order-line-name">
            {l.name} <AgeBadge limit={l.ageLimit} />
          </span>
          <span class="muted small order-line-unit">{formatMoney(l.unitPriceMinor, order.currency)} each</span>
          <span class="price order-line-total">{formatMoney(l.lineTotalMinor, order.currency)}</span>
        </li>
      ))}
    </ul>
  );
}
