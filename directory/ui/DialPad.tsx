// DialPad: type or tap a number; it groups 4-4-4 as you go, says why an input
// cannot be a number, and once 12 digits are in, shows who the number reaches.

import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError } from '../../backend/web/ui/api';
import { PhoneIcon } from '../../backend/web/ui/icons';
import { NumberInput } from '../../backend/web/ui/NumberInput';
import { checkNumber, moreDigits } from '../../backend/web/ui/numbers';
import { errorMessage, initials } from '../../backend/web/ui/session';
import type { CallMode } from '../../media/client/call';
import { ModePicker, type CallTarget } from './CallPanel';
import { directoryApi, type Resolved } from './directoryApi';
import { Light } from './Light';
import type { PhoneSignal } from './usePhoneSignal';

type Lookup =
  | { kind: 'idle' }
  | { kind: 'resolving' }
  | { kind: 'found'; resolved: Resolved }
  | { kind: 'missing'; message: string };

const keys: [string, string][] = [
  ['1', ''],
  ['2', 'ABC'],
  ['3', 'DEF'],
  ['4', 'GHI'],
  ['5', 'JKL'],
  ['6', 'MNO'],
  ['7', 'PQRS'],
  ['8', 'TUV'],
  ['9', 'WXYZ'],
];

function partyLine(r: Resolved): string {
  switch (r.party.type) {
    case 'agent':
      return r.party.store ? `Sales agent · ${r.party.store.name}` : 'Sales agent';
    case 'queue':
      return r.party.store ? `Sales line of ${r.party.store.name}` : 'Store sales line';
    default:
      return 'Member';
  }
}

/** DialPad is the "Dial a number" card. */
export interface DialPadProps {
  signal: PhoneSignal;
  onCall(t: CallTarget): void;
  /** mode is how calls start: video, voice or behind an avatar. */
  mode: CallMode;
  onMode(m: CallMode): void;
}

export function DialPad({ signal, onCall, mode, onMode }: DialPadProps) {
  const id = useId();
  const [digits, setDigits] = useState('');
  const [lookup, setLookup] = useState<Lookup>({ kind: 'idle' });
  const input = useRef<HTMLInputElement>(null);
  const check = checkNumber(digits);

  useEffect(() => {
    if (!check.complete) {
      setLookup({ kind: 'idle' });
      return;
    }
    let stale = false;
    setLookup({ kind: 'resolving' });
    directoryApi.resolve(digits).then(
      (resolved) => !stale && setLookup({ kind: 'found', resolved }),
      (e: unknown) => {
        if (stale) return;
        const message =
          e instanceof ApiError && e.status === 404 ? errorMessage(e) || `Nobody has the number ${check.display}.` : errorMessage(e);
        setLookup({ kind: 'missing', message });
      },
    );
    return () => {
      stale = true;
    };
  }, [digits, check.complete]);

  // The resolved party's light follows presence events.
  useEffect(
    () =>
      signal.onPresence((p) =>
        setLookup((l) =>
          l.kind === 'found' && l.resolved.party.accountId === p.accountId
            ? { kind: 'found', resolved: { ...l.resolved, state: p.state } }
            : l,
        ),
      ),
    [signal.onPresence],
  );

  const press = (d: string) => {
    setDigits((v) => v + d);
    input.current?.focus();
  };
  const back = () => {
    setDigits((v) => v.slice(0, -1));
    input.current?.focus();
  };
  const clear = () => {
    setDigits('');
    input.current?.focus();
  };

  const found = lookup.kind === 'found' ? lookup.resolved : null;
  const call = () =>
    found &&
    onCall({
      name: found.party.name,
      number: found.number,
      display: found.display,
      state: found.state,
      detail: found.party.type === 'member' ? undefined : partyLine(found),
    });

  let line;
  if (check.problem) {
    line = <p class="field-error dial-message">{check.problem}</p>;
  } else if (digits.length === 0) {
    line = <p class="hint dial-message">Type a 12-digit number, or tap the keys.</p>;
  } else if (!check.complete) {
    line = <p class="hint dial-message">{moreDigits(check.remaining)}</p>;
  } else if (lookup.kind === 'resolving') {
    line = (
      <p class="hint dial-message">
        <span class="spinner spinner-xs" aria-hidden="true" /> Looking up {check.display}…
      </p>
    );
  } else if (lookup.kind === 'missing') {
    line = <p class="field-error dial-message">{lookup.message}</p>;
  } else {
    line = null;
  }

  return (
    <section class="card dial-card" aria-labelledby={`${id}-t`}>
      <div class="dial-left">
        <h2 class="card-title" id={`${id}-t`}>
          Dial a number
        </h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            call();
          }}
          noValidate
        >
          <label class="sr-only" for={`${id}-n`}>
            Number to call
          </label>
          <NumberInput
            id={`${id}-n`}
            inputRef={input}
            class="dial-input"
            value={digits}
            onDigits={setDigits}
            placeholder="2000 0000 0000"
            aria-invalid={check.problem || lookup.kind === 'missing' ? 'true' : undefined}
            aria-describedby={`${id}-m`}
          />
          <div id={`${id}-m`} class="dial-status" aria-live="polite">
            {line}
            {found && (
              <div class="dial-party" data-party={found.party.type}>
                <span class="avatar" aria-hidden="true">
                  {initials(found.party.name)}
                </span>
                <div class="dial-party-text">
                  <p class="dial-party-name">{found.party.name}</p>
                  <p class="muted small">
                    {partyLine(found)} · <span class="mono">{found.display}</span>
                  </p>
                </div>
                <Light state={found.state} />
              </div>
            )}
          </div>
          <ModePicker mode={mode} onMode={onMode} name={`${id}-mode`} />
          <button type="submit" class="btn btn-call btn-block" disabled={!found}>
            <PhoneIcon size={18} />
            {found ? `Call ${found.party.name}` : 'Call'}
          </button>
        </form>
      </div>
      <div class="keypad" role="group" aria-label="Keypad">
        {keys.map(([d, letters]) => (
          <button key={d} type="button" class="key" onClick={() => press(d)} aria-label={d}>
            <span class="key-digit">{d}</span>
            <span class="key-letters" aria-hidden="true">
              {letters || '\u00a0'}
            </span>
          </button>
        ))}
        <button type="button" class="key key-fn" onClick={clear} disabled={!digits}>
          Clear
        </button>
        <button type="button" class="key" onClick={() => press('0')} aria-label="0">
          <span class="key-digit">0</span>
          <span class="key-letters" aria-hidden="true">
            +
          </span>
        </button>
        <button type="button" class="key key-fn" onClick={back} disabled={!digits} aria-label="Delete last digit">
          ⌫
        </button>
      </div>
    </section>
  );
}
