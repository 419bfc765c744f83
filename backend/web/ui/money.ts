// Prices, formatted the same way in every app: the store's currency, the
// browser's locale. Agents and shoppers see one price as the same text.

const formats = new Map<string, Intl.NumberFormat>();

/**
 * formatMoney shows minor units (cents) in currency, in the browser's locale.
 * A missing or unknown currency code is shown as EUR, the mall's currency.
 */
export function formatMoney(minor: number, currency = 'EUR'): string {
  const cur = currency || 'EUR';
  let f = formats.get(cur);
  if (!f) {
    try {
      f = new Intl.NumberFormat(undefined, { style: 'currency', currency: cur });
    } catch {
      f = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'EUR' });
    }
    formats.set(cur, f);
  }
  return f.format(minor / 100);
}
