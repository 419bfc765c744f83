// CallContext: what the desk knows about the shopper of a call, from the
// queue offer: member or guest, the facts livemall verified (never a birth
// date), the product they were looking at and their cart.

import { CheckIcon, ShieldIcon, StoreIcon, UserIcon } from '../../backend/web/ui/icons';
import type { QueueContext } from '../../media/client/protocol';
import { formatMoney } from '../../backend/web/ui/money';
import { useLiveCart } from './liveCart';

export { useNow } from '../../backend/web/ui/clock';

/** shopperName is the name a desk shows for a shopper: "Guest" when there is none. */
export function shopperName(name: string | undefined | null): string {
  const n = (name ?? '').trim();
  return n || 'Guest';
}

function Fact({ ok, yes, no }: { ok: boolean | undefined; yes: string; no: string }) {
  if (ok === undefined) return null;
  return (
    <li class={`fact ${ok ? 'tone-ok' : 'tone-warn'}`}>
      {ok ? <CheckIcon size={14} /> : <ShieldIcon size={14} />}
      {ok ? yes : no}
    </li>
  );
}

/** productHref is the mall page of the product the shopper clicked. */
function productHref(ctx: QueueContext, storeSlug?: string): string | null {
  const p = ctx.product;
  if (!p) return null;
  if (p.path) return p.path;
  if (storeSlug && p.sku) return `/store/${encodeURIComponent(storeSlug)}/product/${encodeURIComponent(p.sku)}`;
  return null;
}

export interface CallContextProps {
  context?: QueueContext | null;
  name: string;
  storeSlug?: string;
  /** dark renders on the call's dark surface. */
  dark?: boolean;
}

/** CallContext is the shopper panel next to a ringing or active call and in the wrap-up. */
export function CallContext({ context, name, storeSlug, dark }: CallContextProps) {
  const ctx = context;
  const member = !!ctx?.member;
  const p = ctx?.product;
  const href = ctx ? productHref(ctx, storeSlug) : null;
  // During a call the engagement tools' cart (read as it changes) wins over the one the queue offer carried.
  const live = useLiveCart();
  const lines = live
    ? live.items.map((l) => ({ productId: l.productId, quantity: l.quantity, name: l.name, totalMinor: l.lineTotalMinor }))
    : (ctx?.cart?.lines ?? []).map((l) => ({ productId: l.productId, quantity: l.quantity, name: l.name, totalMinor: l.unitPriceMinor * l.quantity }));
  const currency = live ? live.currency : ctx?.cart.currency;
  const total = live ? live.totalMinor : (ctx?.cart.totalMinor ?? 0);
  const ageWarn =
    p && p.ageLimit > 0 && !(p.ageLimit >= 21 ? ctx?.facts?.over21 : ctx?.facts?.over18 || ctx?.facts?.over21);
  return (
    <div class={`call-context${dark ? ' is-dark' : ''}`} aria-label={`About ${shopperName(name)}`} role="group">
      <div class="ctx-shopper">
        <span class="ctx-icon" aria-hidden="true">
          <UserIcon size={18} />
        </span>
        <div>
          <p class="ctx-name">{shopperName(name)}</p>
          <p class="ctx-kind">
            <span class={`badge ${member ? 'badge-member' : 'badge-guest'}`}>{member ? 'Member' : 'Guest'}</span>
          </p>
        </div>
      </div>
      {ctx && (
        <ul class="chips ctx-facts" aria-label="Verified facts">
          <Fact ok={ctx.facts?.over18} yes="Over 18" no="Not verified over 18" />
          <Fact ok={ctx.facts?.over21} yes="Over 21" no="Not verified over 21" />
          <Fact ok={ctx.facts?.emailVerified} yes="Email verified" no="Email not verified" />
          {!member && ctx.facts?.over18 === undefined && ctx.facts?.over21 === undefined && (
            <li class="fact tone-muted">No verified facts for a guest</li>
          )}
        </ul>
      )}

      <h3 class="ctx-title">Looking at</h3>
      {p ? (
        <div class="ctx-product">
          {p.image ? <img src={p.image} alt="" width={64} height={64} loading="lazy" /> : <span class="ctx-noimg" aria-hidden="true"><StoreIcon size={22} /></span>}
          <div class="ctx-product-text">
            {href ? (
              <a class="ctx-product-name" href={href} target="_blank" rel="noopener">
                {p.name}
              </a>
            ) : (
              <span class="ctx-product-name">{p.name}</span>
            )}
            <span class="ctx-price">
              {formatMoney(p.priceMinor, p.currency)}
              {p.ageLimit > 0 && <span class="badge badge-age">{p.ageLimit}+</span>}
            </span>
            {ageWarn && <span class="ctx-warn">Age not verified for this product</span>}
          </div>
        </div>
      ) : (
        <p class="ctx-empty">No product: they called from the store.</p>
      )}

      <h3 class="ctx-title">Cart</h3>
      {lines.length ? (
        <table class="ctx-cart" data-testid="ctx-cart" data-items={lines.length}>
          <caption class="sr-only">{shopperName(name)}'s cart</caption>
          <tbody>
            {lines.map((l) => (
              <tr key={l.productId}>
                <td class="ctx-qty">{l.quantity}×</td>
                <td>{l.name}</td>
                <td class="ctx-num">{formatMoney(l.totalMinor, currency)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th colSpan={2} scope="row">
                Total
              </th>
              <td class="ctx-num">{formatMoney(total, currency)}</td>
            </tr>
          </tfoot>
        </table>
      ) : (
        <p class="ctx-empty">The cart is empty.</p>
      )}
    </div>
  );
}
