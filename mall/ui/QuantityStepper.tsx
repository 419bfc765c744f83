import { useEffect, useState } from 'preact/hooks';
import { MinusIcon, PlusIcon } from './shopIcons';

/** maxQuantity is the most of one product a cart line may hold (the server's limit). */
export const maxQuantity = 99;

/**
 * QuantityStepper is − [n] + for a quantity between 1 and max. label names the
 * product for screen readers ("Quantity of Barolo"). Typing commits on blur or
 * Enter; the buttons commit at once.
 */
export function QuantityStepper({
  value,
  label,
  max = maxQuantity,
  disabled,
  onChange,
}: {
  value: number;
  label: string;
  max?: number;
  disabled?: boolean;
  onChange(n: number): void;
}) {
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value]);
  const top = Math.max(1, Math.min(max, maxQuantity));

  const commit = () => {
    const n = Math.round(Number(text));
    if (!Number.isFinite(n) || n < 1) {
      setText(String(value));
      return;
    }
    const clamped = Math.min(n, top);
    setText(String(clamped));
    if (clamped !== value) onChange(clamped);
  };

  return (
    <div class="stepper" role="group" aria-label={label}>
      <button
        type="button"
        class="stepper-btn"
        aria-label={`One less: ${label}`}
        disabled={disabled || value <= 1}
        onClick={() => onChange(value - 1)}
      >
        <MinusIcon size={16} />
      </button>
      <input
        class="stepper-input"
        type="number"
        inputMode="numeric"
        min={1}
        max={top}
        value={text}
        aria-label={label}
        disabled={disabled}
        onInput={(e) => setText((e.target as HTMLInputElement).value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
      />
      <button
        type="button"
        class="stepper-btn"
        aria-label={`One more: ${label}`}
        disabled={disabled || value >= top}
        onClick={() => onChange(value + 1)}
      >
        <PlusIcon size={16} />
      </button>
    </div>
  );
}
