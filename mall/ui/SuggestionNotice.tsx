// Suggestions from the sales agent: during a call the agent can put an add-on
// into the shopper's cart, with the reason. The shopper sees it at once (the
// cart is live over SSE) and keeps it or removes it — in the talk dock
// (SuggestionNotice) and on the cart's line (SuggestionActions).

import { useState } from 'preact/hooks';
import { CheckIcon } from '../../backend/web/ui/icons';
import { errorMessage } from '../../backend/web/ui/session';
import { capitalize } from './AddToCart';
import { useCart } from './cart';
import { formatMoney } from '../../backend/web/ui/money';
import type { CartLine } from './shopApi';
import { RemoveIcon } from './shopIcons';
import { useTalk } from './talkSession';

/** useAgentName is the name of the agent on the call now, or "Your sales agent". */
export function useAgentName(): string {
  const s = useTalk();
  const c = s.snap.call ?? s.last;
  const name = c?.peer.name;
  return name && name !== s.target?.store.name ? name : 'Your sales agent';
}

/** suggestionText is "<agent> suggests <name>: <reason>" without a dangling colon. */
export function suggestionText(agent: string, item: CartLine): string {
  let reason = item.suggestReason?.trim().replace(/\.$/, '') ?? '';
  // "…: a young Barolo opens up" reads on after the colon; "DOC", "I" keep their capitals.
  if (/^[A-Z][a-z ]/.test(reason) && !reason.startsWith('I ')) reason = reason[0].toLowerCase() + reason.slice(1);
  return `${agent} suggests ${item.name}${reason ? `: ${reason}` : ''}.`;
}

/**
 * SuggestionActions is Keep it / Remove for a suggested cart line, or the
 * note that the shopper kept it. It renders nothing for an item the shopper
 * added themselves.
 */
export function SuggestionActions({ item }: { item: CartLine }) {
  const { accept, remove } = useCart();
  const [busy, setBusy] = useState<'' | 'keep' | 'remove'>('');
  const [error, setError] = useState('');
  if (!item.suggested) return null;
  if (item.accepted) {
    return (
      <span class="suggest-kept" data-testid={`accepted-${item.sku}`}>
        <CheckIcon size={14} /> Kept
      </span>
    );
  }
  const act = async (what: 'keep' | 'remove') => {
    setBusy(what);
    setError('');
    try {
      await (what === 'keep' ? accept(item.storeSlug, item.sku) : remove(item.storeSlug, item.sku));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy('');
    }
  };
  return (
    <>
      <span class="suggest-actions">
        <button
          type="button"
          class="btn btn-primary btn-sm"
          data-testid={`accept-${item.sku}`}
          disabled={busy !== ''}
          aria-label={`Keep ${item.name}`}
          onClick={() => act('keep')}
        >
          {busy === 'keep' ? <span class="spinner" aria-hidden="true" /> : <CheckIcon size={14} />} Keep it
        </button>
        <button
          type="button"
          class="btn btn-secondary btn-sm"
          data-testid={`remove-${item.sku}`}
          disabled={busy !== ''}
          aria-label={`Remove ${item.name}`}
          onClick={() => act('remove')}
        >
          {busy === 'remove' ? <span class="spinner" aria-hidden="true" /> : <RemoveIcon size={14} />} Remove
        </button>
      </span>
      {error && (
        <span class="suggest-error" role="alert">
          {capitalize(error)}.
        </span>
      )}
    </>
  );
}

/**
 * SuggestionNotice lists, in the talk dock, the agent's suggestions the
 * shopper has not answered yet; it renders nothing when there are none.
 */
export function SuggestionNotice() {
  const { cart } = useCart();
  const agent = useAgentName();
  const open = cart.items.filter((i) => i.suggested && !i.accepted);
  if (open.length === 0) return null;
  return (
    <ul class="suggest-notices" role="status" aria-live="polite" aria-label="Suggestions from your sales agent">
      {open.map((item) => (
        <li key={`${item.storeSlug}/${item.sku}`} class="suggest-notice" data-sku={item.sku}>
          <img src={item.imageUrl} alt="" width="44" height="44" />
          <div class="suggest-notice-body">
            <p class="suggest-notice-text">{suggestionText(agent, item)}</p>
            <p class="suggest-notice-price">
              {formatMoney(item.lineTotalMinor, cart.currency)} · now in your cart
            </p>
            <SuggestionActions item={item} />
          </div>
        </li>
      ))}
    </ul>
  );
}
