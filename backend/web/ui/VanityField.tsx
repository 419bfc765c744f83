// VanityField: choose a number. Formats as you type, says why an input cannot
// be a number, checks availability live once 12 digits are in, and offers free
// numbers close to a taken one as chips to pick.

import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api';
import { NumberInput } from './NumberInput';
import { checkNumber, digitsOf, moreDigits, numbersIn } from './numbers';
import { CheckIcon } from './icons';

/** Availability is GET /numbers/{number}/availability. */
export interface Availability {
  number: string;
  display: string;
  available: boolean;
  suggestions: string[];
}

type Live =
  | { kind: 'idle' }
  | { kind: 'checking' }
  | { kind: 'free'; display: string }
  | { kind: 'taken'; display: string; suggestions: string[] }
  | { kind: 'invalid'; message: string };

export interface VanityFieldProps {
  id: string;
  label: string;
  name?: string;
  digits: string;
  onDigits(digits: string): void;
  /** error is a message from the server about this field (e.g. taken at sign-up). */
  error?: string | null;
  disabled?: boolean;
  hint?: string;
  placeholder?: string;
  /** onTaken is told whether the live check found the number taken. */
  onTaken?(taken: boolean): void;
}

/** Suggestions renders free numbers as buttons that fill the field. */
export function Suggestions({ numbers, onPick, label = 'Free numbers close to it' }: { numbers: string[]; onPick(n: string): void; label?: string }) {
  if (numbers.length === 0) return null;
  return (
    <div class="suggestions" role="group" aria-label={label}>
      <span class="suggestions-label">{label}:</span>
      {numbers.map((n) => (
        <button key={n} type="button" class="chip chip-number" onClick={() => onPick(digitsOf(n))}>
          {n}
        </button>
      ))}
    </div>
  );
}

/** useAvailability checks a complete number against the server, debounced. */
export function useAvailability(digits: string, enabled: boolean): Live {
  const [live, setLive] = useState<Live>({ kind: 'idle' });
  useEffect(() => {
    const c = checkNumber(digits);
    if (!enabled || !c.complete) {
      setLive({ kind: 'idle' });
      return;
    }
    let stale = false;
    setLive({ kind: 'checking' });
    const t = setTimeout(() => {
      api.get<Availability>(`/numbers/${digits}/availability`).then(
        (a) => {
          if (stale) return;
          setLive(a.available ? { kind: 'free', display: a.display } : { kind: 'taken', display: a.display, suggestions: a.suggestions ?? [] });
        },
        (e: unknown) => {
          if (stale) return;
          // Signed out visitors may not be allowed to ask; the sign-up answers then.
          if (e instanceof ApiError && e.status === 400) setLive({ kind: 'invalid', message: e.message });
          else setLive({ kind: 'idle' });
        },
      );
    }, 300);
    return () => {
      stale = true;
      clearTimeout(t);
    };
  }, [digits, enabled]);
  return live;
}

/** VanityField is a labelled number input with live checks and suggestions. */
export function VanityField(props: VanityFieldProps) {
  const { id, digits, onDigits, error, disabled } = props;
  const check = checkNumber(digits);
  const live = useAvailability(digits, true);
  const taken = live.kind === 'taken';
  const { onTaken } = props;
  useEffect(() => onTaken?.(taken), [taken, onTaken]);
  const problem = error || check.problem || (live.kind === 'invalid' ? live.message : null);
  // Free numbers close to a taken one: from the server's message and from the live check.
  const chips = [
    ...new Set([...(error ? numbersIn(error) : []), ...(live.kind === 'taken' ? live.suggestions : [])]),
  ].filter((n) => digitsOf(n) !== digits);
  const describedBy = [`${id}-live`, props.hint ? `${id}-hint` : ''].filter(Boolean).join(' ');

  return (
    <div class="field vanity-field">
      <label for={id}>{props.label}</label>
      <NumberInput
        id={id}
        name={props.name}
        value={digits}
        onDigits={onDigits}
        disabled={disabled}
        placeholder={props.placeholder ?? '2000 1234 5678'}
        class="number-input"
        aria-invalid={problem || live.kind === 'taken' ? 'true' : undefined}
        aria-describedby={describedBy}
      />
      <div id={`${id}-live`} aria-live="polite">
        {problem ? (
          <p class="field-error">{problem}</p>
        ) : live.kind === 'checking' ? (
          <p class="hint live-hint">
            <span class="spinner spinner-xs" aria-hidden="true" /> Checking {check.display}…
          </p>
        ) : live.kind === 'free' ? (
          <p class="field-ok">
            <CheckIcon size={15} /> {live.display} is free.
          </p>
        ) : live.kind === 'taken' ? (
          <p class="field-error">{live.display} is taken.</p>
        ) : digits.length > 0 && !check.complete ? (
          <p class="hint">{moreDigits(check.remaining)}</p>
        ) : null}
      </div>
      <Suggestions numbers={chips} onPick={onDigits} />
      {props.hint && (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
    </div>
  );
}
