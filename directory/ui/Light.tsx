// Light: a party's online light. Green = available, amber = away,
// red = busy, a blue ring = app closed but rung by push, grey = offline;
// the state is always also written out.

import { stateLabels, type PresenceState } from './directoryApi';

/** Light shows the coloured dot and, unless textHidden, the state's name. */
export function Light({ state, textHidden = false }: { state: PresenceState; textHidden?: boolean }) {
  const label = stateLabels[state] ?? state;
  return (
    <span class={`light-wrap light-${state}`} data-state={state} title={label}>
      <span class="light" aria-hidden="true" />
      <span class={textHidden ? 'sr-only' : 'light-text'}>{label}</span>
    </span>
  );
}
