// Permanent numbers on the client: 12 digits `xyyy yyyy yyyy`, x in 2–9.
// Input is forgiving (spaces, dashes, dots); display is always grouped 4-4-4.
// The server has the last word; these checks give the reason as you type.

/** NUMBER_LENGTH is how many digits a number has. */
export const NUMBER_LENGTH = 12;

/** digitsOf keeps only the digits of what someone typed. */
export function digitsOf(input: string): string {
  return input.replace(/\D+/g, '');
}

/** groupDigits groups digits 4-4-4 (any extra digits stay in a last group). */
export function groupDigits(digits: string): string {
  const groups: string[] = [];
  for (let i = 0; i < digits.length && i < NUMBER_LENGTH; i += 4) groups.push(digits.slice(i, i + 4));
  if (digits.length > NUMBER_LENGTH) groups.push(digits.slice(NUMBER_LENGTH));
  return groups.join(' ');
}

/** NumberCheck is what the client can say about a typed number. */
export interface NumberCheck {
  digits: string;
  display: string;
  /** complete is true for 12 digits with a valid first digit. */
  complete: boolean;
  /** problem says why the input cannot be a number; null while it still can be. */
  problem: string | null;
  /** remaining is how many digits are still missing (0 when complete or too long). */
  remaining: number;
}

/** checkNumber validates typed input the way the server does, with the reason. */
export function checkNumber(input: string): NumberCheck {
  const digits = digitsOf(input);
  const display = groupDigits(digits);
  const result = (problem: string | null): NumberCheck => ({
    digits,
    display,
    complete: problem === null && digits.length === NUMBER_LENGTH,
    problem,
    remaining: Math.max(0, NUMBER_LENGTH - digits.length),
  });
  if (/[^\d\s.\-]/.test(input)) return result('A number has digits only; spaces, dashes and dots are fine.');
  if (digits.length === 0) return result(null);
  if (digits[0] === '0' || digits[0] === '1') {
    return result(`A number starts with a digit from 2 to 9; this one starts with ${digits[0]}.`);
  }
  if (digits.length > NUMBER_LENGTH) return result(`A number has 12 digits; this has ${digits.length}.`);
  return result(null);
}

/** numbersIn finds every 4-4-4 number mentioned in a sentence (e.g. suggestions in an error). */
export function numbersIn(text: string): string[] {
  const found = text.match(/\b[2-9]\d{3}[ .\-]?\d{4}[ .\-]?\d{4}\b/g) ?? [];
  return [...new Set(found.map((n) => groupDigits(digitsOf(n))))];
}

/** pluralDigits says "1 more digit" / "5 more digits". */
export function moreDigits(n: number): string {
  return `${n} more digit${n === 1 ? '' : 's'}`;
}
