// liveCart: the shopper's cart as the engagement tools read it during a call,
// handed to the call's side panel so its "Cart" box follows the shared cart
// instead of staying at what the queue offer carried. CallActive provides it;
// EngagementTools publishes into it; CallContext reads it.

import { createContext } from 'preact';
import { useContext, useEffect } from 'preact/hooks';
import type { ShopperCart } from './engagementApi';

/** LiveCart is the newest cart the desk read in this call (null before the first), and how to replace it (publish keeps its identity). */
export interface LiveCart {
  cart: ShopperCart | null;
  publish(cart: ShopperCart | null): void;
}

/** LiveCartContext carries the call's live cart; without a provider there is none. */
export const LiveCartContext = createContext<LiveCart | null>(null);

/** useLiveCart is the call's live cart, or null before the tools read it (or outside a call). */
export function useLiveCart(): ShopperCart | null {
  return useContext(LiveCartContext)?.cart ?? null;
}

/** usePublishCart hands cart to the call's side panel whenever its contents change. */
export function usePublishCart(cart: ShopperCart | null): void {
  const live = useContext(LiveCartContext);
  // The tools re-read the cart every few seconds: only a changed cart re-renders the call.
  const key = cart ? JSON.stringify(cart) : '';
  useEffect(() => {
    if (live && cart) live.publish(cart);
  }, [live?.publish, key]);
}
