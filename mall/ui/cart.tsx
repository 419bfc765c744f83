// The shopper's cart as app state: loaded once, changed through the API and
// kept live by the server's cart event stream, so every tab shows the same cart.

import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { cartEventsURL, emptyCart, shop, type Cart } from './shopApi';

/** CartState is the cart and the ways to change it; changes throw ApiError on refusal. */
export interface CartState {
  cart: Cart;
  /** loaded is false until the first GET /cart has answered. */
  loaded: boolean;
  /** live is true while the event stream is connected. */
  live: boolean;
  add(store: string, sku: string, quantity: number): Promise<Cart>;
  setQuantity(store: string, sku: string, quantity: number): Promise<Cart>;
  remove(store: string, sku: string): Promise<Cart>;
  /** accept keeps an item a sales agent suggested. */
  accept(store: string, sku: string): Promise<Cart>;
  clear(): Promise<Cart>;
  refresh(): Promise<void>;
}

const CartContext = createContext<CartState | null>(null);

/** useCart returns the cart state from the nearest CartProvider. */
export function useCart(): CartState {
  const c = useContext(CartContext);
  if (!c) throw new Error('useCart outside CartProvider');
  return c;
}

/** newer says whether next should replace cur: another cart, or the same one at least as recent. */
function newer(cur: Cart, next: Cart): boolean {
  return next.id !== cur.id || next.version >= cur.version;
}

/**
 * CartProvider owns the cart. who names the shopper (an account id, or "" for
 * a guest): when it changes the cart is loaded again. The event stream opens
 * only once the cart exists, so a guest who is only looking gets no cookie.
 */
export function CartProvider({ who, children }: { who: string; children: ComponentChildren }) {
  const [cart, setCart] = useState<Cart>(emptyCart);
  const [loaded, setLoaded] = useState(false);
  const [live, setLive] = useState(false);
  const current = useRef(cart);

  const apply = useCallback((next: Cart) => {
    if (!newer(current.current, next)) return;
    current.current = next;
    setCart(next);
  }, []);

  const refresh = useCallback(async () => {
    try {
      const c = await shop.cart();
      // A fresh read is the truth even when it carries an older version (a new cart).
      current.current = c;
      setCart(c);
    } finally {
      setLoaded(true);
    }
  }, []);

  useEffect(() => {
    refresh().catch(() => {});
  }, [who, refresh]);

  const id = cart.id;
  useEffect(() => {
    if (!id || typeof EventSource === 'undefined') return;
    const es = new EventSource(cartEventsURL, { withCredentials: true });
    const onCart = (e: MessageEvent<string>) => {
      try {
        apply(JSON.parse(e.data) as Cart);
      } catch {
        // a malformed event is ignored; the next one carries the whole cart again
      }
    };
    es.addEventListener('cart', onCart as EventListener);
    es.onopen = () => setLive(true);
    es.onerror = () => setLive(false);
    return () => {
      es.close();
      setLive(false);
    };
  }, [id, apply]);

  const run = useCallback(
    async (p: Promise<Cart>) => {
      const c = await p;
      apply(c);
      return c;
    },
    [apply],
  );

  const value = useMemo<CartState>(
    () => ({
      cart,
      loaded,
      live,
      add: (store, sku, quantity) => run(shop.addItem(store, sku, quantity)),
      setQuantity: (store, sku, quantity) => run(shop.setQuantity(store, sku, quantity)),
      remove: (store, sku) => run(shop.removeItem(store, sku)),
      accept: (store, sku) => run(shop.acceptSuggestion(store, sku)),
      clear: () => run(shop.clear()),
      refresh,
    }),
    [cart, loaded, live, run, refresh],
  );

  return <CartContext.Provider value={value}>{children}</CartContext.Provider>;
}
