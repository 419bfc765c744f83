// AddToCart: the button on product cards and the product page, with a
// quantity stepper on the product page and the server's refusal shown inline.

import { useEffect, useState } from 'preact/hooks';
import type { Product } from '../../backend/web/ui/api';
import { errorMessage } from '../../backend/web/ui/session';
import { useCart } from './cart';
import { QuantityStepper } from './QuantityStepper';
import { cartPath, linkClick } from './router';
import { CartIcon, CheckCircleIcon } from './shopIcons';

type Status = { kind: 'idle' } | { kind: 'busy' } | { kind: 'added'; quantity: number } | { kind: 'error'; message: string };

/** AddToCart puts product (of store) into the cart; withQuantity shows a stepper first. */
export function AddToCart({ store, product, withQuantity }: { store: string; product: Product; withQuantity?: boolean }) {
  const { add } = useCart();
  const [quantity, setQuantity] = useState(1);
  const [status, setStatus] = useState<Status>({ kind: 'idle' });

  // "Added" fades back to the plain button after a few seconds.
  useEffect(() => {
    if (status.kind !== 'added') return;
    const t = setTimeout(() => setStatus({ kind: 'idle' }), 4000);
    return () => clearTimeout(t);
  }, [status]);

  const soldOut = product.stock <= 0;
  const submit = async () => {
    setStatus({ kind: 'busy' });
    try {
      await add(store, product.sku, quantity);
      setStatus({ kind: 'added', quantity });
    } catch (e) {
      setStatus({ kind: 'error', message: errorMessage(e) });
    }
  };

  return (
    <div class={`add-to-cart${withQuantity ? ' add-to-cart-lg' : ''}`}>
      <div class="add-row">
        {withQuantity && !soldOut && (
          <QuantityStepper
            value={quantity}
            max={product.stock}
            label={`Quantity of ${product.name}`}
            disabled={status.kind === 'busy'}
            onChange={setQuantity}
          />
        )}
        <button
          type="button"
          class={`btn ${withQuantity ? 'btn-primary btn-add-lg' : 'btn-sm btn-add'}`}
          disabled={soldOut || status.kind === 'busy'}
          aria-label={soldOut ? `${product.name} is sold out` : `Add ${product.name} to cart`}
          onClick={submit}
        >
          {status.kind === 'busy' ? <span class="spinner" aria-hidden="true" /> : <CartIcon size={withQuantity ? 20 : 16} />}
          {soldOut ? 'Sold out' : 'Add to cart'}
        </button>
      </div>
      <div class="add-status" aria-live="polite">
        {status.kind === 'added' && (
          <p class="add-ok">
            <CheckCircleIcon size={16} /> {status.quantity > 1 ? `${status.quantity} added` : 'Added'} ·{' '}
            <a href={cartPath} onClick={linkClick(cartPath)}>
              View cart
            </a>
          </p>
        )}
        {status.kind === 'error' && (
          <p class="add-error" role="alert">
            {capitalize(status.message)}.{' '}
            <a href={cartPath} onClick={linkClick(cartPath)}>
              View cart
            </a>
          </p>
        )}
      </div>
    </div>
  );
}

/** capitalize starts a server message (written lower case, like Go errors) with a capital. */
export function capitalize(s: string): string {
  const t = s.replace(/[.\s]+$/, '');
  return t.charAt(0).toUpperCase() + t.slice(1);
}
