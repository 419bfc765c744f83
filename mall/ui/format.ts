// Formatting for prices and counts in the mall.

const money = new Map<string, Intl.NumberFormat>();

/** formatPrice renders minor units (cents) in the product's currency. */
export function formatPrice(minor: number, currency: string): string {
  let f = money.get(currency);
  if (!f) {
    f = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    money.set(currency, f);
  }
  return f.format(minor / 100);
}

/** plural picks "1 product" / "3 products". */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
