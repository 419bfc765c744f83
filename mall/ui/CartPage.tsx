// CartPage: the cart's lines with steppers, the totals and the way to checkout.

import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from '../../backend/web/ui/session';
import { capitalize } from './AddToCart';
import { useCart } from './cart';
import { plural } from './format';
import { formatMoney } from '../../backend/web/ui/money';
import { AgeBadge, ProductImageLink, ProductName } from './ProductCard';
import { QuantityStepper } from './QuantityStepper';
import { linkClick, navigate, orderPath, productPath, storePath } from './router';
import { shop, type Cart, type CartLine } from './shopApi';
import { AgeNotice } from './AgeNotice';
import { suggestionText, SuggestionActions, useAgentName } from './SuggestionNotice';
import { AlertIcon, CartIcon, RemoveIcon } from './shopIcons';

/** CartPage lists the cart and starts checkout. */
export function CartPage() {
  const { cart, loaded, live } = useCart();
  useEffect(() => {
    document.title = 'Your cart — livemall';
  }, []);

  if (!loaded) return <div class="banner-skeleton" aria-busy="true" aria-label="Loading your cart" />;
  return (
    <div class="cart-page">
      <div class="page-head">
        <div>
          <p class="eyebrow">Shopping</p>
          <h1 class="page-title">Your cart</h1>
        </div>
        {cart.id && (
          <span class={`live-pill ${live ? 'is-live' : ''}`} title="Changes from your other tabs and devices show here at once">
            <span class="presence-dot" aria-hidden="true" />
            {live ? 'Live in every tab' : 'Reconnecting…'}
          </span>
        )}
      </div>
      <AgeNotice />
      {cart.items.length === 0 ? <EmptyCart /> : <FullCart cart={cart} />}
    </div>
  );
}

function EmptyCart() {
  return (
    <div class="card empty cart-empty">
      <span class="empty-icon" aria-hidden="true">
        <CartIcon size={32} />
      </span>
      <h2>Your cart is empty</h2>
      <p class="muted">Walk into a store downtown and add what you like.</p>
      <a class="btn btn-primary" href="/" onClick={linkClick('/')}>
        Walk downtown
      </a>
    </div>
  );
}

function FullCart({ cart }: { cart: Cart }) {
  const { clear, refresh } = useCart();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const ageLimit = Math.max(0, ...cart.items.map((i) => i.ageLimit));

  const checkout = async () => {
    setBusy(true);
    setError('');
    try {
      const order = await shop.checkout();
      await refresh().catch(() => {});
      navigate(orderPath(order.id));
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  const empty = async () => {
    setError('');
    try {
      await clear();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const storeTo = cart.store ? storePath(cart.store.slug) : '/';
  return (
    <div class="cart-layout">
      <section class="card cart-lines" aria-labelledby="cart-lines-title">
        <div class="cart-lines-head">
          <h2 id="cart-lines-title">
            {plural(cart.itemCount, 'item', 'items')}
            {cart.store && (
              <>
                {' '}
                from{' '}
                <a href={storeTo} onClick={linkClick(storeTo)}>
                  {cart.store.name}
                </a>
              </>
            )}
          </h2>
          <button type="button" class="btn btn-ghost btn-sm" onClick={empty}>
            Empty cart
          </button>
        </div>
        <ul class="cart-items">
          {cart.items.map((item) => (
            <CartRow key={`${item.storeSlug}/${item.sku}`} item={item} currency={cart.currency} />
          ))}
        </ul>
      </section>

      <aside class="card cart-summary" aria-labelledby="summary-title">
        <h2 id="summary-title">Summary</h2>
        <Totals subtotal={cart.subtotalMinor} tax={cart.taxMinor} total={cart.totalMinor} currency={cart.currency} />
        {ageLimit > 0 && (
          <p class="age-note">
            Your cart holds {ageLimit}+ products. After checkout a sales agent verifies your age before you can pay.
          </p>
        )}
        <button type="button" class="btn btn-primary btn-block btn-checkout" disabled={busy} onClick={checkout}>
          {busy && <span class="spinner" aria-hidden="true" />}
          Check out
        </button>
        {error && (
          <p class="status status-error" role="alert">
            {capitalize(error)}.
          </p>
        )}
        <a class="btn btn-ghost btn-block" href={storeTo} onClick={linkClick(storeTo)}>
          Continue shopping
        </a>
      </aside>
    </div>
  );
}

function CartRow({ item, currency }: { item: CartLine; currency: string }) {
  const { setQuantity, remove } = useCart();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const to = productPath(item.storeSlug, item.sku);

  const change = async (p: () => Promise<unknown>) => {
    setBusy(true);
    setError('');
    try {
      await p();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <li class="cart-item" data-sku={item.sku}>
      <ProductImageLink to={to} class="cart-item-image" src={item.imageUrl} size={88} />
      <div class="cart-item-body">
        <ProductName to={to} class="cart-item-name" name={item.name}>
          {' '}
          <AgeBadge limit={item.ageLimit} />
        </ProductName>
        <p class="muted small">{formatMoney(item.unitPriceMinor, currency)} each</p>
        {item.suggested && <CartSuggestion item={item} />}
        <div class="cart-item-controls">
          <QuantityStepper
            value={item.quantity}
            label={`Quantity of ${item.name}`}
            disabled={busy}
            onChange={(n) => change(() => setQuantity(item.storeSlug, item.sku, n))}
          />
          <button
            type="button"
            class="btn btn-ghost btn-sm btn-remove"
            disabled={busy}
            aria-label={`Remove ${item.name}`}
            onClick={() => change(() => remove(item.storeSlug, item.sku))}
          >
            <RemoveIcon size={16} /> <span class="remove-text">Remove</span>
          </button>
        </div>
        {error && (
          <p class="line-error" role="alert">
            <AlertIcon size={16} /> {capitalize(error)}.
          </p>
        )}
      </div>
      <span class="price cart-item-total">{formatMoney(item.lineTotalMinor, currency)}</span>
    </li>
  );
}

/** CartSuggestion is the agent's note on a line they suggested, with Keep it / Remove. */
function CartSuggestion({ item }: { item: CartLine }) {
  const agent = useAgentName();
  return (
    <div class={`cart-suggest${item.accepted ? ' is-kept' : ''}`}>
      <p class="cart-suggest-text">{suggestionText(agent, item)}</p>
      <SuggestionActions item={item} />
    </div>
  );
}

/** Totals is the subtotal, the VAT it includes and the total. */
export function Totals({ subtotal, tax, total, currency }: { subtotal: number; tax: number; total: number; currency: string }) {
  return (
    <dl class="totals">
      <div>
        <dt>Subtotal</dt>
        <dd>{formatMoney(subtotal, currency)}</dd>
      </div>
      <div class="totals-tax">
        <dt>incl. VAT</dt>
        <dd>{formatMoney(tax, currency)}</dd>
      </div>
      <div class="totals-total">
        <dt>Total</dt>
        <dd>{formatMoney(total, currency)}</dd>
      </div>
    </dl>
  );
}
