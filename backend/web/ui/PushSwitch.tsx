// PushSwitch: "Ring me when the app is closed" — this browser's push
// subscription for the signed-in member, as a switch that shows the
// server's state, explains itself in one line and says plainly why it
// cannot be turned on (permission refused, no Web Push).

import { useEffect, useId, useState } from 'preact/hooks';
import { deniedText, pushSubscribed, pushSupport, turnPushOff, turnPushOn, unsupportedText } from './push';
import { errorMessage } from './session';
import './push-switch.css';

export interface PushSwitchProps {
  /** scope is the app's path ("/phone/", "/desk/"): its worker holds the subscription. */
  scope: string;
  label: string;
  /** hint is the one line under the switch while it is on or off. */
  hint: string;
}

type State = { kind: 'loading' } | { kind: 'ready'; on: boolean } | { kind: 'busy'; on: boolean };

/** PushSwitch turns ringing by push on and off for this browser. */
export function PushSwitch({ scope, label, hint }: PushSwitchProps) {
  const id = useId();
  const [state, setState] = useState<State>({ kind: 'loading' });
  const [error, setError] = useState('');
  const [support, setSupport] = useState(pushSupport);

  useEffect(() => {
    let live = true;
    pushSubscribed().then(
      (on) => live && setState({ kind: 'ready', on }),
      (e: unknown) => {
        if (!live) return;
        setState({ kind: 'ready', on: false });
        setError(errorMessage(e));
      },
    );
    return () => {
      live = false;
    };
  }, []);

  const on = state.kind !== 'loading' && state.on;
  async function toggle(want: boolean) {
    setError('');
    setState({ kind: 'busy', on: want });
    try {
      if (want) await turnPushOn(scope);
      else await turnPushOff(scope);
      setState({ kind: 'ready', on: want });
    } catch (e) {
      setState({ kind: 'ready', on: !want });
      setError(errorMessage(e));
      setSupport(pushSupport());
    }
  }

  const blocked = support !== 'ok' && !on;
  const line = support === 'unsupported' ? unsupportedText : support === 'denied' && !on ? deniedText : hint;
  return (
    <div class="push-setting" data-testid="push-switch" data-state={state.kind === 'loading' ? 'loading' : on ? 'on' : 'off'}>
      <label class="switch push-switch">
        <input
          type="checkbox"
          role="switch"
          checked={on}
          disabled={state.kind !== 'ready' || blocked}
          aria-describedby={`${id}-hint`}
          aria-busy={state.kind === 'busy' ? 'true' : undefined}
          onChange={(e) => void toggle(e.currentTarget.checked)}
        />
        <span class="switch-track" aria-hidden="true">
          <span class="switch-thumb" />
        </span>
        <span>{label}</span>
        {state.kind === 'busy' && <span class="push-busy muted small">{state.on ? 'Turning on…' : 'Turning off…'}</span>}
      </label>
      <p class={`hint${blocked ? ' push-blocked' : ''}`} id={`${id}-hint`}>
        {line}
      </p>
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
