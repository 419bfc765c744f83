// The supervisor catalog endpoints. api.ts has get/post/patch; PUT lives here
// and follows the same rules: the lm_csrf cookie in X-CSRF-Token, errors as
// ApiError.

import { api, ApiError, type AddOnKind, type ErrorCode, type Product } from '../../backend/web/ui/api';

export type AgeLimit = 0 | 18 | 21;

export interface ProductInput {
  sku: string;
  name: string;
  description: string;
  department: string;
  priceMinor: number;
  stock: number;
  ageLimit: AgeLimit;
}

export type ProductPatch = Partial<Omit<ProductInput, 'sku'>>;

export interface AddOnInput {
  sku: string;
  kind: AddOnKind;
  reason: string;
}

function readCookie(name: string): string {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return '';
}

async function csrf(): Promise<string> {
  const have = readCookie('lm_csrf');
  if (have) return have;
  const r = await api.get<{ token: string }>('/csrf');
  return readCookie('lm_csrf') || r.token;
}

async function put<T>(path: string, body: unknown, retried = false): Promise<T> {
  let res: Response;
  try {
    res = await fetch('/api/v1' + path, {
      method: 'PUT',
      credentials: 'same-origin',
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
        'X-CSRF-Token': await csrf(),
      },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'Could not reach livemall. Check your connection and try again.');
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (res.ok) return data as T;
  const err = (data as { error?: { code?: ErrorCode; message?: string } } | undefined)?.error;
  const e = new ApiError(res.status, err?.code ?? 'internal', err?.message ?? `The server answered ${res.status}.`);
  if (!retried && res.status === 403 && /csrf/i.test(e.message)) {
    await api.get('/csrf');
    return put<T>(path, body, true);
  }
  throw e;
}

const p = (sku: string) => `/desk/catalog/products/${encodeURIComponent(sku)}`;

export const catalog = {
  async list(slug: string): Promise<Product[]> {
    const r = await api.store(slug);
    return r.departments.flatMap((d) => d.products.map((x) => ({ ...x, department: x.department || d.name })));
  },
  create: (input: ProductInput) =>
    api.post<{ product: Product }>('/desk/catalog/products', input).then((r) => r.product),
  update: (sku: string, patch: ProductPatch) => api.patch<{ product: Product }>(p(sku), patch).then((r) => r.product),
  retire: (sku: string) => api.post<{ product: Product }>(p(sku) + '/retire', {}).then((r) => r.product),
  addOns: (slug: string, sku: string) => api.product(slug, sku).then((r) => r.product.addOns ?? []),
  setAddOns: (sku: string, addOns: AddOnInput[]) => put<{ addOns: unknown[] }>(p(sku) + '/addons', { addOns }),
};

const eur = new Intl.NumberFormat('en-IE', { style: 'currency', currency: 'EUR' });

/** formatEuros shows minor units as a EUR price. */
export function formatEuros(minor: number): string {
  return eur.format(minor / 100);
}

/** eurosToMinor parses "12", "12.5" or "12,50" into cents; null when it is not a price. */
export function eurosToMinor(text: string): number | null {
  const t = text.trim().replace(',', '.');
  if (!/^\d{1,7}(\.\d{1,2})?$/.test(t)) return null;
  const [whole, frac = ''] = t.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}

/** minorToEuros is the editable text for a price. */
export function minorToEuros(minor: number): string {
  return (minor / 100).toFixed(2);
}
