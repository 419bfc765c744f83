// ShopNav: the shopper's links in the top bar: orders and the cart with its count.

import { useCart } from './cart';
import { cartPath, linkClick, ordersPath, type Route } from './router';
import { CartIcon, ReceiptIcon } from './shopIcons';

/** ShopNav shows "Orders" and the cart button with a live item count badge. */
export function ShopNav({ route }: { route: Route }) {
  const { cart } = useCart();
  const n = cart.itemCount;
  return (
    <nav class="shop-nav" aria-label="Shopping">
      <a
        class="shop-link"
        href={ordersPath}
        onClick={linkClick(ordersPath)}
        aria-current={route.page === 'orders' || route.page === 'order' ? 'page' : undefined}
      >
        <ReceiptIcon size={18} />
        <span class="shop-link-text">Orders</span>
      </a>
      <a
        class="cart-button"
        href={cartPath}
        onClick={linkClick(cartPath)}
        aria-current={route.page === 'cart' ? 'page' : undefined}
        aria-label={n > 0 ? `Cart, ${n} ${n === 1 ? 'item' : 'items'}` : 'Cart, empty'}
      >
        <CartIcon size={20} />
        <span class="shop-link-text">Cart</span>
        {n > 0 && (
          <span class="cart-count" data-count={n} aria-hidden="true">
            {n > 99 ? '99+' : n}
          </span>
        )}
      </a>
    </nav>
  );
}
