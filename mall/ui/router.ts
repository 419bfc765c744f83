// A tiny history router: pushState on navigation, popstate for the back button.

import { useEffect, useState } from 'preact/hooks';

/** Route is a parsed mall path. */
export type Route =
  | { page: 'home' }
  | { page: 'store'; slug: string }
  | { page: 'product'; slug: string; sku: string }
  | { page: 'cart' }
  | { page: 'orders' }
  | { page: 'order'; id: string }
  | { page: 'credit'; id: string }
  | { page: 'appointment'; token: string }
  | { page: 'missing'; path: string };

/** parseRoute maps a pathname to a route; unknown paths are 'missing'. */
export function parseRoute(path: string): Route {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: 'home' };
  if (parts[0] === 'store' && parts.length === 2) return { page: 'store', slug: parts[1] };
  if (parts[0] === 'store' && parts.length === 4 && parts[2] === 'product') {
    return { page: 'product', slug: parts[1], sku: parts[3] };
  }
  if (parts[0] === 'cart' && parts.length === 1) return { page: 'cart' };
  if (parts[0] === 'orders' && parts.length === 1) return { page: 'orders' };
  if (parts[0] === 'orders' && parts.length === 2) return { page: 'order', id: parts[1] };
  if (parts[0] === 'appointments' && parts.length === 2) return { page: 'appointment', token: parts[1] };
  if (parts[0] === 'credit' && parts.length <= 2) return { page: 'credit', id: parts[1] ?? '' };
  return { page: 'missing', path };
}

/** storePath and productPath build the URLs the router understands. */
export const storePath = (slug: string) => `/store/${encodeURIComponent(slug)}`;
export const productPath = (slug: string, sku: string) =>
  `/store/${encodeURIComponent(slug)}/product/${encodeURIComponent(sku)}`;

export const cartPath = '/cart';
export const ordersPath = '/orders';
export const orderPath = (id: string) => `/orders/${encodeURIComponent(id)}`;
/** creditPath is a credit application's page; creditPath('') lists them. */
export const creditPath = (id: string) => (id ? `/credit/${encodeURIComponent(id)}` : '/credit');

const changed = 'livemall:navigate';

/** navigate pushes a new history entry and re-renders the mall. */
export function navigate(to: string) {
  if (to === location.pathname + location.search) return;
  history.pushState(null, '', to);
  window.dispatchEvent(new Event(changed));
  window.scrollTo({ top: 0 });
}

/** linkClick turns a plain left click on an in-app link into navigate(). */
export function linkClick(to: string) {
  return (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
}

/** useRoute follows the address bar. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname));
    window.addEventListener('popstate', update);
    window.addEventListener(changed, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(changed, update);
    };
  }, []);
  return route;
}
