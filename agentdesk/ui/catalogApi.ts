// The supervisor catalog endpoints, over the shared api client.

import { api, type AddOnKind, type Product } from '../../backend/web/ui/api';

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
  setAddOns: (sku: string, addOns: AddOnInput[]) => api.put<{ addOns: unknown[] }>(p(sku) + '/addons', { addOns }),
};

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
