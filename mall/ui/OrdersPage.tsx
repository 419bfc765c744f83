// OrdersPage: the shopper's order history, newest first.

import { useEffect } from 'preact/hooks';
import { ErrorCard } from './ErrorCard';
import { plural } from './format';
import { formatMoney } from '../../backend/web/ui/money';
import { formatWhen, StateBadge } from './OrderPage';
import { linkClick, orderPath } from './router';
import { helpedByLine, orderNumber, shop, type Order } from './shopApi';
import { ReceiptIcon } from './shopIcons';
import { useLoad } from './useLoad';

/** OrdersPage lists the member's orders, or this browser's when shopping as a guest. */
export function OrdersPage({ signedIn }: { signedIn: boolean }) {
  const load = useLoad('orders', shop.orders);
  useEffect(() => {
    document.title = 'Your orders — livemall';
  }, []);

  return (
    <div class="orders-page">
      <div class="page-head">
        <div>
          <p class="eyebrow">Order history</p>
          <h1 class="page-title">Your orders</h1>
          {!signedIn && <p class="muted small">You are shopping as a guest: these are the orders placed from this browser.</p>}
        </div>
      </div>
      {load.state === 'loading' && <div class="banner-skeleton" aria-busy="true" aria-label="Loading your orders" />}
      {load.state === 'error' && <ErrorCard title="Your orders did not load" message={load.message} />}
      {load.state === 'done' && load.data.length === 0 && (
        <div class="card empty">
          <span class="empty-icon" aria-hidden="true">
            <ReceiptIcon size={32} />
          </span>
          <h2>No orders yet</h2>
          <p class="muted">When you check out, your orders appear here.</p>
          <a class="btn btn-primary" href="/" onClick={linkClick('/')}>
            Walk downtown
          </a>
        </div>
      )}
      {load.state === 'done' && load.data.length > 0 && (
        <ul class="order-list">
          {[...load.data]
            .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
            .map((o) => (
              <OrderRow key={o.id} order={o} />
            ))}
        </ul>
      )}
    </div>
  );
}

function OrderRow({ order }: { order: Order }) {
  const to = orderPath(order.id);
  const count = order.lines.reduce((n, l) => n + l.quantity, 0);
  const names = order.lines.map((l) => l.name).join(', ');
  return (
    <li class="order-row" data-order={order.id} data-state={order.state}>
      <div class="order-row-main">
        <h2 class="order-row-store">
          <a href={to} onClick={linkClick(to)}>
            {order.store.name}
          </a>
        </h2>
        <p class="muted small order-row-meta">
          <span class="mono">{orderNumber(order.id)}</span> · {formatWhen(order.createdAt)}
        </p>
        <p class="small order-row-items" title={names}>
          {plural(count, 'item', 'items')}: {names}
        </p>
        {order.helpedBy?.length ? (
          <p class="muted small helped-by" data-testid="helped-by">
            {helpedByLine(order.helpedBy)}
          </p>
        ) : null}
      </div>
      <div class="order-row-side">
        <StateBadge state={order.state} />
        {order.testPayment && <span class="badge badge-test">Test payment</span>}
        <span class="price">{formatMoney(order.totalMinor, order.currency)}</span>
      </div>
    </li>
  );
}
