// EngagementTools: what the agent sells with during a live engagement. The
// shopper's cart as it changes (lines the agent suggested marked, and
// whether the shopper kept them), add-ons to suggest into it with one
// click (and to show on the shopper's screen through co-browse), the
// shopper's latest order in the store, the age check on live video
// (AgeJudgement),
// and a store-credit application for members.
//
//   <EngagementTools engaged={e} live videoLive={call.remoteVideoLive}
//                    navigate={(path) => signal.send({type: 'cobrowse.navigate', …})} />

import { useCallback, useEffect, useState } from 'preact/hooks';
import { CheckIcon, ShieldIcon, StoreIcon } from '../../backend/web/ui/icons';
import { errorMessage } from '../../backend/web/ui/session';
import { AgeJudgement } from './AgeJudgement';
import { BoardPanel } from './BoardPanel';
import { CreditProgress } from './CreditProgress';
import type { Engaged } from './CallDesk';
import { shopperName } from './CallContext';
import { usePublishCart } from './liveCart';
import { formatMoney } from '../../backend/web/ui/money';
import {
  engagementApi,
  helpedBy,
  orderStateText,
  type CartLine,
  type EngagementOrder,
  type LiveEngagement,
  type ShopperCart,
  type Suggestion,
  type SuggestionKind,
} from './engagementApi';

/** refreshEvery is how often the tools re-read the cart and orders during a call, in ms. */
const refreshEvery = 1500;

export interface EngagementToolsProps {
  engaged: Engaged;
  /** live says the call is connected: the tools refresh while it is. */
  live: boolean;
  /** videoLive says the shopper's camera reaches the desk now (no avatar). */
  videoLive: boolean;
  /** navigate opens a mall page on the shopper's screen; false when it could not be sent. */
  navigate?(path: string): boolean;
  /** onRefused hears why an order was refused (the server ends the call then). */
  onRefused?(reason: string): void;
}

/** EngagementTools is the cart, suggestions, order and credit panel of a live engagement. */
export function EngagementTools({ engaged, live, videoLive, navigate, onRefused }: EngagementToolsProps) {
  const entryId = engaged.entryId;
  const name = shopperName(engaged.name);
  const [cart, setCart] = useState<ShopperCart | null>(null);
  const [suggestions, setSuggestions] = useState<Suggestion[] | null>(null);
  const [engagement, setEngagement] = useState<LiveEngagement | null>(null);
  const [loadError, setLoadError] = useState('');
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((t) => t + 1), []);
  usePublishCart(cart);

  // The cart and the engagement, now, every refreshEvery ms while the call
  // is live, and right after the agent's own actions (tick).
  useEffect(() => {
    // Only a connected engagement has a cart to share (the server says 404 before).
    if (!live) return;
    let closed = false;
    const load = () => {
      engagementApi
        .cart(entryId)
        .then((r) => {
          if (closed) return;
          setCart(r.cart);
          setSuggestions(r.suggestions ?? []);
          setLoadError('');
        })
        .catch((e) => !closed && setLoadError(errorMessage(e)));
      engagementApi
        .engagement(entryId)
        .then((r) => !closed && setEngagement(r))
        .catch(() => {});
    };
    load();
    const t = setInterval(load, refreshEvery);
    return () => {
      closed = true;
      clearInterval(t);
    };
  }, [entryId, live, tick]);

  return (
    <section class="engagement-tools" aria-label={`Selling to ${name}`} data-entry-id={entryId}>
      <CartPanel name={name} cart={cart} error={loadError} />
      <SuggestionsPanel entryId={entryId} name={name} suggestions={suggestions} navigate={navigate} onChanged={(c) => (setCart(c), refresh())} />
      <div class="eng-col">
        <AgeJudgement
          entryId={entryId}
          name={name}
          avatar={engaged.avatar}
          cart={cart}
          order={engagement?.orders?.[0] ?? null}
          context={engaged.context ?? undefined}
          videoLive={videoLive}
          onDone={refresh}
          onRefused={onRefused}
        />
        <OrderPanel name={name} order={engagement?.orders?.[0] ?? null} agents={engagement?.agents} />
        {engagement?.member && <CreditProgress entryId={entryId} name={name} />}
      </div>
      <BoardPanel entryId={entryId} shopperName={name} live={live} />
    </section>
  );
}

function Thumb({ src }: { src?: string }) {
  return src ? (
    <img class="eng-thumb" src={src} alt="" width={48} height={48} loading="lazy" />
  ) : (
    <span class="eng-thumb eng-noimg" aria-hidden="true">
      <StoreIcon size={18} />
    </span>
  );
}

function CartPanel({ name, cart, error }: { name: string; cart: ShopperCart | null; error: string }) {
  const items = cart?.items ?? [];
  const cur = cart?.currency || 'EUR';
  return (
    <section class="eng-panel" data-testid="engagement-cart" aria-labelledby="eng-cart-title" data-items={items.length}>
      <header class="eng-head">
        <h2 id="eng-cart-title">{name}'s cart</h2>
        {cart?.store && <span class="muted small">{cart.store.name}</span>}
      </header>
      {error && <p class="status-error small">{error}</p>}
      {cart === null && !error ? (
        <p class="ctx-empty">Loading their cart…</p>
      ) : items.length === 0 ? (
        <p class="ctx-empty">Their cart is empty. Suggest something and it appears on their screen.</p>
      ) : (
        <>
          <ul class="eng-lines">
            {items.map((l) => (
              <CartItem key={l.sku} line={l} currency={cur} />
            ))}
          </ul>
          <dl class="eng-totals">
            <div>
              <dt>VAT included</dt>
              <dd>{formatMoney(cart?.taxMinor ?? 0, cur)}</dd>
            </div>
            <div class="eng-total">
              <dt>Total</dt>
              <dd data-testid="engagement-cart-total">{formatMoney(cart?.totalMinor ?? 0, cur)}</dd>
            </div>
          </dl>
        </>
      )}
    </section>
  );
}

function CartItem({ line: l, currency }: { line: CartLine; currency: string }) {
  return (
    <li class={`eng-line${l.suggested ? ' is-suggested' : ''}`} data-sku={l.sku} data-suggested={l.suggested} data-accepted={l.accepted}>
      <Thumb src={l.imageUrl} />
      <div class="eng-line-text">
        <span class="eng-name">{l.name}</span>
        <span class="muted small">
          {l.quantity} × {formatMoney(l.unitPriceMinor, currency)}
          {l.ageLimit > 0 && (
            <>
              {' '}
              <span class="badge badge-age">{l.ageLimit}+</span>
            </>
          )}
        </span>
        {l.suggested && (
          <span class="eng-tags">
            <span class="badge badge-role">Suggested</span>
            {l.accepted ? (
              <span class="badge badge-ok">
                <CheckIcon size={12} /> Accepted by the shopper
              </span>
            ) : (
              <span class="badge">Waiting for the shopper</span>
            )}
          </span>
        )}
      </div>
      <span class="eng-num">{formatMoney(l.lineTotalMinor, currency)}</span>
    </li>
  );
}

const kindNames: Record<SuggestionKind, string> = {
  accessory: 'Accessory',
  warranty: 'Warranty',
  bundle: 'Bundle',
  'co-purchase': 'Often bought together',
};

interface SuggestionsProps {
  entryId: string;
  name: string;
  suggestions: Suggestion[] | null;
  navigate?(path: string): boolean;
  onChanged(cart: ShopperCart): void;
}

function SuggestionsPanel({ entryId, name, suggestions, navigate, onChanged }: SuggestionsProps) {
  const [busy, setBusy] = useState('');
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  // A note says what just happened; it goes once the agent has read it.
  useEffect(() => {
    if (!note) return;
    const t = setTimeout(() => setNote(null), note.ok ? 6000 : 12000);
    return () => clearTimeout(t);
  }, [note]);

  const add = async (s: Suggestion) => {
    setBusy(s.sku);
    setNote(null);
    try {
      const r = await engagementApi.suggest(entryId, s.sku);
      setNote({ ok: true, text: `Added ${s.name} to ${name}'s cart: they see it now and can accept or remove it.` });
      onChanged(r.cart);
    } catch (e) {
      setNote({ ok: false, text: errorMessage(e) });
    } finally {
      setBusy('');
    }
  };
  const show = (s: Suggestion) => {
    const sent = navigate?.(s.path);
    setNote(sent ? { ok: true, text: `Opening ${s.name} on ${name}'s screen.` } : { ok: false, text: 'Not connected: try again in a moment.' });
  };

  return (
    <section class="eng-panel" aria-labelledby="eng-sugg-title" data-testid="engagement-suggestions">
      <header class="eng-head">
        <h2 id="eng-sugg-title">Suggest add-ons</h2>
        {suggestions && suggestions.length > 0 && <span class="count-pill">{suggestions.length}</span>}
      </header>
      {note && (
        <p class={`${note.ok ? 'status-ok' : 'status-error'} small`} role="status">
          {note.text}
        </p>
      )}
      {suggestions === null ? (
        <p class="ctx-empty">Looking for add-ons…</p>
      ) : suggestions.length === 0 ? (
        <p class="ctx-empty">No add-ons for what is in their cart yet.</p>
      ) : (
        <ul class="eng-suggestions">
          {suggestions.map((s) => (
            <li key={s.sku} class="eng-sugg" data-sku={s.sku}>
              <Thumb src={s.image} />
              <div class="eng-line-text">
                <span class="eng-name">{s.name}</span>
                <span class="eng-tags">
                  <span class={`badge eng-kind kind-${s.kind}`}>{kindNames[s.kind] ?? s.kind}</span>
                  <span class="eng-price">{formatMoney(s.priceMinor, s.currency)}</span>
                </span>
                <span class="muted small">
                  {s.reason}
                  {s.for && !s.reason.includes(s.for) ? ` (with ${s.for})` : ''}
                </span>
                <span class="eng-actions">
                  <button type="button" class="btn btn-primary btn-sm" data-testid={`suggest-${s.sku}`} disabled={busy !== ''} onClick={() => void add(s)}>
                    {busy === s.sku ? 'Adding…' : 'Add to their cart'}
                  </button>
                  {navigate && s.path && (
                    <button type="button" class="btn btn-ghost btn-sm" data-testid={`show-${s.sku}`} onClick={() => show(s)}>
                      Show them
                    </button>
                  )}
                </span>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

interface OrderPanelProps {
  name: string;
  order: EngagementOrder | null;
  /** agents who served the engagement, in order: named under an order once more than one did. */
  agents?: string[];
}

function OrderPanel({ name, order, agents }: OrderPanelProps) {
  return (
    <section class="eng-panel" data-testid="engagement-order" aria-labelledby="eng-order-title" data-order-id={order?.id ?? ''}>
      <header class="eng-head">
        <h2 id="eng-order-title">Order</h2>
        {order && <span class="muted small">{formatMoney(order.totalMinor, order.currency)}</span>}
      </header>
      {!order ? (
        <p class="ctx-empty">No order from {name} since they called.</p>
      ) : (
        <>
          <p class={`eng-order-state state-${order.state}`} data-testid="engagement-order-state" data-state={order.state} role="status">
            {order.state === 'confirmed' ? <CheckIcon size={16} /> : order.state === 'refused' ? <ShieldIcon size={16} /> : <span class="eng-state-dot" aria-hidden="true" />}
            <span>{order.state === 'draft' && !order.needsSignature ? 'Placed: waiting for payment' : orderStateText(order.state)}</span>
          </p>
          {order.state === 'confirmed' && <p class="eng-success">Order confirmed: paid in full. Thank {name} and wrap up.</p>}
          {agents && agents.length > 1 && (
            <p class="muted small" data-testid="engagement-helped-by">
              {helpedBy(agents)}
            </p>
          )}
          {order.state === 'refused' && (
            <p class="eng-refused" role="alert">
              The order was refused. Nothing was charged.
            </p>
          )}
        </>
      )}
    </section>
  );
}
