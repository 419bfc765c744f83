// NumberInput: a text field for a 12-digit number that groups 4-4-4 as you type,
// keeps the caret where the person was typing, and accepts pasted numbers with
// spaces, dashes or dots.

import type { PartialInputHTMLAttributes, Ref, TargetedInputEvent } from 'preact';
import { digitsOf, groupDigits } from './numbers';

export type NumberInputProps = Omit<PartialInputHTMLAttributes<HTMLInputElement>, 'value' | 'onInput' | 'onChange' | 'ref' | 'role' | 'type'> & {
  /** value is the digits typed so far (no formatting). */
  value: string;
  onDigits(digits: string): void;
  inputRef?: Ref<HTMLInputElement>;
};

/** caretAfter finds where the caret goes after the first n digits of formatted. */
function caretAfter(formatted: string, n: number): number {
  if (n <= 0) return 0;
  let seen = 0;
  for (let i = 0; i < formatted.length; i++) {
    if (/\d/.test(formatted[i])) seen++;
    if (seen === n) return i + 1;
  }
  return formatted.length;
}

/** NumberInput is a controlled input whose value is digits and whose text is grouped. */
export function NumberInput({ value, onDigits, inputRef, ...rest }: NumberInputProps) {
  const onInput = (e: TargetedInputEvent<HTMLInputElement>) => {
    const el = e.currentTarget;
    const raw = el.value;
    const caret = el.selectionStart ?? raw.length;
    let digits = digitsOf(raw);
    let before = digitsOf(raw.slice(0, caret)).length;
    // Backspace over a group space deletes the digit before it instead.
    if (e.inputType === 'deleteContentBackward' && digits === value && before > 0) {
      digits = digits.slice(0, before - 1) + digits.slice(before);
      before -= 1;
    }
    const formatted = groupDigits(digits);
    el.value = formatted;
    const at = caretAfter(formatted, before);
    if (document.activeElement === el) el.setSelectionRange(at, at);
    onDigits(digits);
  };
  return (
    <input
      type="text"
      inputMode="numeric"
      autocomplete="off"
      spellcheck={false}
      {...rest}
      ref={inputRef}
      value={groupDigits(value)}
      onInput={onInput}
    />
  );
}
