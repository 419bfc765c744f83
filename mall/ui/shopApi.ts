// The mall's shopping endpoints: the cart, checkout, orders and the downtown
// search, over the shared api client.

import { api, type CartLine, type CreditApplication, type CreditState, type OrderState, type Store } from '../../backend/web/ui/api';

export type { CartLine, CreditApplication, CreditState, OrderState };

/** MallStore is a store with the live numbers the mall shows (approximate). */
export interface MallStore extends Store {
  /** salesNumber is the store's sales line, 12 digits; salesDisplay groups them. */
  salesNumber?: string;
  salesDisplay?: string;
  agentsOnline?: number;
  shoppersInside?: number;
  /** queue is the sales queue now; absent from servers that do not route calls yet. */
  queue?: StoreQueue;
}

/**
 * StoreQueue is a store's sales queue as the mall shows it: open (an agent is
 * free), busy (everyone is on a call; waitSeconds is the estimate) or closed
 * (no agent signed in).
 */
export interface StoreQueue {
  state: 'open' | 'busy' | 'closed';
  waitSeconds: number;
  waiting: number;
  agentsFree: number;
  /** inCall is how many shoppers talk with the store's agents now. */
  inCall?: number;
}

/** Cart is the shopper's cart; id is "" until the first item goes in. */
export interface Cart {
  id: string;
  store: { slug: string; name: string } | null;
  items: CartLine[];
  subtotalMinor: number;
  /** taxMinor is the VAT included in totalMinor (prices include VAT). */
  taxMinor: number;
  totalMinor: number;
  currency: string;
  itemCount: number;
  version: number;
}

export interface OrderLine {
  sku: string;
  name: string;
  unitPriceMinor: number;
  quantity: number;
  lineTotalMinor: number;
  ageLimit: number;
}

export interface OrderEvent {
  from: OrderState | null;
  to: OrderState;
  actor: string;
  reason: string;
  at: string;
}

export interface Order {
  id: string;
  store: { slug: string; name: string };
  state: OrderState;
  lines: OrderLine[];
  subtotalMinor: number;
  taxMinor: number;
  totalMinor: number;
  currency: string;
  needsVerification: boolean;
  /** needsSignature: the member's passkey must sign the order before it is paid. */
  needsSignature: boolean;
  testPayment: boolean;
  paymentProvider: 'offline' | 'stripe' | string;
  createdAt: string;
  events: OrderEvent[];
  /** payment is the payment under way, when there is one. */
  payment?: PaymentView;
  /** helpedBy names the agents who served the call the order came from, in order (absent: no call). */
  helpedBy?: string[];
}

/** helpedByLine says who served the call an order came from: "Helped by Maria, then Sam"; '' for none. */
export function helpedByLine(names: string[] | undefined): string {
  if (!names || names.length === 0) return '';
  return `Helped by ${names.join(', then ')}`;
}

/** PaymentStatus mirrors the order's PaymentIntent; pending, declined and unknown are still open. */
export type PaymentStatus = 'pending' | 'declined' | 'unknown' | 'succeeded' | 'failed';

/** PaymentView is the order's payment under way as the shopper sees it. */
export interface PaymentView {
  status: PaymentStatus;
  /** message says what the status means, e.g. "declined — try another card". */
  message: string;
  /** holdUntil: when the stock stops being held for this payment. */
  holdUntil?: string;
}

/** PaymentStart is what a real provider needs to collect the card in the browser. */
export interface PaymentStart {
  provider: string;
  status: PaymentStatus;
  clientSecret: string;
  publishableKey: string;
}

/** SignBegun is a begun order signature: the WebAuthn request options whose challenge is bound to the order's hash. */
export interface SignBegun {
  ceremony: string;
  options: { publicKey: PublicKeyCredentialRequestOptionsJSON };
  orderHash: string;
}

/** CreditForm is what the applicant fills in (amounts in cents). */
export interface CreditForm {
  fullName: string;
  monthlyIncomeMinor: number;
  employer: string;
  requestedLimitMinor: number;
  consent: boolean;
}

/** ProductHit is a product matching the downtown search, in any store. */
export interface ProductHit {
  storeSlug: string;
  storeName?: string;
  sku: string;
  name: string;
  priceMinor: number;
  currency: string;
  imageUrl: string;
}

export const emptyCart: Cart = {
  id: '',
  store: null,
  items: [],
  subtotalMinor: 0,
  taxMinor: 0,
  totalMinor: 0,
  currency: 'EUR',
  itemCount: 0,
  version: 0,
};

const itemPath = (store: string, sku: string) => `/cart/items/${encodeURIComponent(store)}/${encodeURIComponent(sku)}`;


type CartAnswer = { cart: Cart };
type OrderAnswer = { order: Order };
type CreditAnswer = { application: CreditApplication };
const cartOf = (r: CartAnswer) => r.cart;

/** shop is the typed list of cart and order endpoints. */
export const shop = {
  cart: () => api.get<CartAnswer>('/cart').then(cartOf),
  addItem: (store: string, sku: string, quantity: number) =>
    api.post<CartAnswer>('/cart/items', { store, sku, quantity }).then(cartOf),
  setQuantity: (store: string, sku: string, quantity: number) =>
    api.put<CartAnswer>(itemPath(store, sku), { quantity }).then(cartOf),
  removeItem: (store: string, sku: string) => api.del<CartAnswer>(itemPath(store, sku)).then(cartOf),
  /** acceptSuggestion keeps an item a sales agent suggested; removing it is removeItem. */
  acceptSuggestion: (store: string, sku: string) => api.post<CartAnswer>(`${itemPath(store, sku)}/accept`, {}).then(cartOf),
  clear: () => api.del<CartAnswer>('/cart').then(cartOf),

  checkout: () => api.post<OrderAnswer>('/checkout', {}).then((r) => r.order),
  /** pay pays through the mall's payment provider, or with store credit when method is 'credit'. */
  pay: (id: string, method?: 'credit') =>
    api.post<{ order: Order; payment?: PaymentStart }>(`/orders/${encodeURIComponent(id)}/pay`, method ? { method } : {}),
  signBegin: (id: string) => api.post<SignBegun>(`/orders/${encodeURIComponent(id)}/sign/begin`, {}),
  signFinish: (id: string, ceremony: string, credential: unknown) =>
    api.post<OrderAnswer>(`/orders/${encodeURIComponent(id)}/sign/finish`, { ceremony, credential }).then((r) => r.order),
  creditApplications: () =>
    api.get<{ applications: CreditApplication[] }>('/credit-applications').then((r) => r.applications ?? []),
  creditApplication: (id: string) =>
    api.get<CreditAnswer>(`/credit-applications/${encodeURIComponent(id)}`).then((r) => r.application),
  fillCreditApplication: (id: string, form: CreditForm) =>
    api.put<CreditAnswer>(`/credit-applications/${encodeURIComponent(id)}`, form).then((r) => r.application),
  /** creditProgress tells the agent which fields are filled (names only). */
  creditProgress: (id: string, filled: string[]) =>
    api.put<CreditAnswer>(`/credit-applications/${encodeURIComponent(id)}/progress`, { filled }).then((r) => r.application),
  creditSignBegin: (id: string) => api.post<SignBegun>(`/credit-applications/${encodeURIComponent(id)}/sign/begin`, {}),
  creditSignFinish: (id: string, ceremony: string, credential: unknown) =>
    api.post<CreditAnswer>(`/credit-applications/${encodeURIComponent(id)}/sign/finish`, { ceremony, credential }).then((r) => r.application),
  abandon: (id: string) => api.post<OrderAnswer>(`/orders/${encodeURIComponent(id)}/abandon`, {}).then((r) => r.order),
  orders: () => api.get<{ orders: Order[] }>('/orders').then((r) => r.orders ?? []),
  order: (id: string) => api.get<OrderAnswer>(`/orders/${encodeURIComponent(id)}`).then((r) => r.order),

  stores: () => api.stores() as Promise<MallStore[]>,
  /** search filters stores by name or tagline and finds matching products in every store. */
  search: (q: string) =>
    api
      .get<{ stores: MallStore[]; products?: ProductHit[] }>(`/stores?q=${encodeURIComponent(q)}`)
      .then((r) => ({ stores: r.stores ?? [], products: r.products ?? [] })),
};

/** cartEventsURL streams the cart as Server-Sent Events (event "cart"). */
export const cartEventsURL = '/api/v1/cart/events';

const stateNames: Record<OrderState, string> = {
  draft: 'Awaiting payment',
  awaiting_verification: 'Awaiting age verification',
  signed: 'Signed',
  paid: 'Paid',
  confirmed: 'Confirmed',
  refused: 'Refused',
  abandoned: 'Abandoned',
};

/** stateName is how an order state reads to a shopper. */
export function stateName(s: OrderState): string {
  return stateNames[s] ?? s;
}

/** orderNumber is the order id without its prefix, in groups of four, for reading aloud. */
export function orderNumber(id: string): string {
  const bare = id.replace(/^ord_/, '').toUpperCase();
  return bare.replace(/(.{4})(?=.)/g, '$1 ');
}

/** canPay says whether the shopper may press Pay now. */
export function canPay(o: Order): boolean {
  return (o.state === 'draft' && !o.needsSignature) || o.state === 'signed';
}

/** mustSign says whether the order waits for the shopper's passkey signature. */
export function mustSign(o: Order): boolean {
  return o.state === 'draft' && o.needsSignature;
}
