// The stores' live parts, pushed: one Server-Sent Events stream per page
// (GET /api/v1/mall/live) shared through context by the skyline, the store
// banner and the talk buttons. On a store or product page the stream names
// the store, which counts the shopper as inside it while the page is open.

import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { Route } from './router';
import type { MallStore, StoreQueue } from './shopApi';
import type { MallVisitor } from './Visitors';

/** StoreLive is one store's live parts, the Go mall.StoreLive. */
export interface StoreLive {
  slug: string;
  agentsOnline: number;
  shoppersInside: number;
  queue?: StoreQueue;
  visitors: MallVisitor[];
  /** pagesOpen is how many mall pages of the store are open now. */
  pagesOpen: number;
  /** shoppingNow: someone is on the store's pages, in its line or in a call; the entrance glows. */
  shoppingNow: boolean;
}

/** LiveEvent is the data of the stream's "stores" event, the Go mall.LiveEvent. */
export interface LiveEvent {
  stores: StoreLive[];
}

/** liveStoresURL is the stream's address. */
export const liveStoresURL = '/api/v1/mall/live';

const LiveContext = createContext<ReadonlyMap<string, StoreLive>>(new Map());

/** liveSlug is the store a route shows ('' for none), and whether the route follows the stores at all. */
function follows(route: Route): { on: boolean; slug: string } {
  if (route.page === 'store' || route.page === 'product') return { on: true, slug: route.slug };
  return { on: route.page === 'home', slug: '' };
}

/**
 * LiveStoresProvider keeps the page's stream open on the downtown, store and
 * product pages and hands the latest state of every store to useLiveStores.
 * EventSource reconnects on its own; each connection starts with every store.
 */
export function LiveStoresProvider({ route, children }: { route: Route; children: ComponentChildren }) {
  const { on, slug } = follows(route);
  const [stores, setStores] = useState<ReadonlyMap<string, StoreLive>>(new Map());
  useEffect(() => {
    if (!on || typeof EventSource === 'undefined') return;
    const es = new EventSource(slug ? `${liveStoresURL}?in=${encodeURIComponent(slug)}` : liveStoresURL, { withCredentials: true });
    const onStores = (e: MessageEvent<string>) => {
      let data: LiveEvent;
      try {
        data = JSON.parse(e.data) as LiveEvent;
      } catch {
        return; // a malformed event is dropped; the next carries the stores again
      }
      setStores((prev) => {
        const next = new Map(prev);
        for (const s of data.stores ?? []) next.set(s.slug, s);
        return next;
      });
    };
    es.addEventListener('stores', onStores as EventListener);
    return () => es.close();
  }, [on, slug]);
  return <LiveContext.Provider value={stores}>{children}</LiveContext.Provider>;
}

/** useLiveStores is the latest live state of every store heard on the page's stream, by slug. */
export function useLiveStores(): ReadonlyMap<string, StoreLive> {
  return useContext(LiveContext);
}

/** withLive lays a store's live parts over a store as it was loaded. */
export function withLive<S extends MallStore>(store: S, live: StoreLive | undefined): S & { visitors?: MallVisitor[]; shoppingNow?: boolean } {
  if (!live) return store;
  return {
    ...store,
    agentsOnline: live.agentsOnline,
    shoppersInside: live.shoppersInside,
    queue: live.queue ?? store.queue,
    visitors: live.visitors,
    shoppingNow: live.shoppingNow,
  };
}
