// The JSON client every livemall web app uses to talk to /api/v1.
//
// State-changing requests carry the CSRF token the server put in the readable
// lm_csrf cookie. The server issues it bound to the session (an HMAC of the
// session or guest cookie), so it changes when the browser signs in or out or
// becomes a guest: responses that do so set the new one, and a request sent
// with a stale token is refused once, then retried after GET /csrf. The
// session itself rides in an HttpOnly cookie the browser sends on its own
// (credentials: 'same-origin'), as does the HttpOnly lm_device cookie that
// names this browser's device, issued by the server.

/** ErrorCode is the server's error vocabulary (see backend/apperr). */
export type ErrorCode =
  | 'invalid'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'unauthorized'
  | 'too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'internal'
  | 'network';

/** ApiError is thrown for any non-2xx answer; message is fit to show the user. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;

  constructor(status: number, code: ErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export type Role = 'member' | 'agent' | 'supervisor' | 'admin';

export interface StoreRef {
  slug: string;
  name: string;
}

export interface Account {
  id: string;
  name: string;
  email: string;
  role: Role;
  store: StoreRef | null;
}

export type Roof = 'flat' | 'spire' | 'dome' | 'stepped';

export interface Building {
  floors: number;
  width: number;
  roof: Roof;
}

export interface Store {
  slug: string;
  name: string;
  brandColor: string;
  tagline: string;
  building: Building;
  productCount: number;
}

export interface Product {
  sku: string;
  name: string;
  description: string;
  priceMinor: number;
  currency: string;
  imageUrl: string;
  department: string;
  ageLimit: number;
  stock: number;
}

export type AddOnKind = 'accessory' | 'warranty' | 'bundle';

export interface AddOn {
  kind: AddOnKind;
  reason: string;
  product: Product;
}

export interface Department {
  name: string;
  products: Product[];
}

/** OrderState is an order's state as the server names it. */
export type OrderState =
  | 'draft'
  | 'awaiting_verification'
  | 'signed'
  | 'paid'
  | 'confirmed'
  | 'refused'
  | 'abandoned';

/** CartLine is one cart line (mall.CartItemView); prices come from the catalog, never the client. */
export interface CartLine {
  productId: number;
  sku: string;
  storeSlug: string;
  name: string;
  unitPriceMinor: number;
  quantity: number;
  lineTotalMinor: number;
  ageLimit: number;
  imageUrl: string;
  /** suggested: a sales agent put it into the cart during a call; suggestReason says why. */
  suggested: boolean;
  suggestReason?: string;
  /** accepted: the shopper kept the agent's suggestion. */
  accepted: boolean;
}

export type CreditState = 'sent' | 'submitted' | 'approved' | 'declined';

/**
 * CreditApplication is a store credit application (mall.CreditView); an
 * approved one is a credit line. applicant is there for the store's supervisors.
 */
export interface CreditApplication {
  id: string;
  store: StoreRef;
  state: CreditState;
  applicant?: { name: string; email: string };
  fullName: string;
  employer: string;
  monthlyIncomeMinor: number;
  requestedLimitMinor: number;
  limitMinor: number;
  usedMinor: number;
  remainingMinor: number;
  currency: string;
  decisionReason: string;
  createdAt: string;
  submittedAt: string | null;
  decidedAt: string | null;
  /** entryId is the engagement (call) the application was sent in. */
  entryId: string;
  /** step is how far the applicant got while it is sent. */
  step: CreditStep;
  /** filled names the fields filled so far. */
  filled: string[];
  /** automatic says the store's rules approved it, not a supervisor. */
  automatic: boolean;
}

/** CreditStep is how far the applicant got with a sent application. */
export type CreditStep = 'opened' | 'filling' | 'filled' | 'signed';

/** Enrollment is whom an enrollment or recovery link belongs to. */
export interface Enrollment {
  name: string;
  email: string;
  role: Role;
  store: StoreRef | null;
}

export interface Passkey {
  id: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** Ceremony is what every ".../begin" endpoint returns: an id and WebAuthn options. */
export interface Ceremony<T> {
  ceremony: string;
  options: { publicKey: T };
}

const base = '/api/v1';

function readCookie(name: string): string {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return '';
}

let csrfPromise: Promise<string> | null = null;

/** csrfToken returns the lm_csrf cookie, asking the server for one if it is missing. */
async function csrfToken(): Promise<string> {
  const have = readCookie('lm_csrf');
  if (have) return have;
  csrfPromise ??= request<{ token: string }>('GET', '/csrf')
    .then((r) => readCookie('lm_csrf') || r.token)
    .finally(() => {
      csrfPromise = null;
    });
  return csrfPromise;
}

async function request<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    headers['X-CSRF-Token'] = await csrfToken();
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json';

  let res: Response;
  try {
    res = await fetch(base + path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'Could not reach livemall. Check your connection and try again.');
  }

  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (res.ok) return data as T;

  const err = (data as { error?: { code?: ErrorCode; message?: string } } | undefined)?.error;
  const apiErr = new ApiError(
    res.status,
    err?.code ?? 'internal',
    err?.message ?? `The server answered ${res.status} ${res.statusText}.`,
  );
  // A stale CSRF token (another tab signed in or out, or the server's key
  // changed) gets one retry with the token of the current session.
  if (!retried && res.status === 403 && /csrf/i.test(apiErr.message) && method !== 'GET') {
    csrfPromise = null;
    await request('GET', '/csrf', undefined, true);
    return request<T>(method, path, body, true);
  }
  throw apiErr;
}

/** api is the typed list of endpoints the web apps use. */
export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  del: <T = void>(path: string) => request<T>('DELETE', path),

  /** me returns the signed-in account, or null when signed out (401). */
  async me(): Promise<Account | null> {
    try {
      return (await request<{ account: Account }>('GET', '/me')).account;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return null;
      throw e;
    }
  },

  stores: () => request<{ stores: Store[] }>('GET', '/stores').then((r) => r.stores),
  store: (slug: string) =>
    request<{ store: Store; departments: Department[] }>('GET', `/stores/${encodeURIComponent(slug)}`),
  product: (slug: string, sku: string) =>
    request<{ store: Store; product: Product & { addOns: AddOn[]; alsoBought?: { product: Product; orders: number }[] } }>(
      'GET',
      `/stores/${encodeURIComponent(slug)}/products/${encodeURIComponent(sku)}`,
    ),

  passkeys: () => request<{ passkeys: Passkey[] }>('GET', '/auth/passkeys').then((r) => r.passkeys),
  enrollment: (token: string) =>
    request<{ enrollment: Enrollment }>('GET', `/auth/enrollments/${encodeURIComponent(token)}`).then(
      (r) => r.enrollment,
    ),
  recovery: (token: string) =>
    request<{ recovery: Enrollment }>('GET', `/auth/recoveries/${encodeURIComponent(token)}`).then((r) => r.recovery),
  signOut: () => request<void>('POST', '/auth/signout', {}),
};
