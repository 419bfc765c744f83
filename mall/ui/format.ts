// Formatting for counts in the mall (prices: formatMoney in backend/web/ui/money.ts).

/** plural picks "1 product" / "3 products". */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
