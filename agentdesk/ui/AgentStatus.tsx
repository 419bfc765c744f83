// AgentStatus: the agent's routing state at a glance (offline, available,
// ringing, on a call, wrap-up with its countdown, away), since when, and the
// switch between Available and Away. It follows agent.state live.

import type { SignalingState } from '../../media/client/signaling';
import type { AgentStateName } from '../../media/client/protocol';
import { useNow } from './CallContext';
import { agentStateNames, clock, type AgentStatus as Status } from './deskApi';

export interface AgentStatusProps {
  status: Status | null;
  signal: SignalingState;
  busy: boolean;
  error: string;
  /** callbackDue: the ringing is a shopper to call back, not a call coming in. */
  callbackDue?: boolean;
  onChoose(state: 'available' | 'away'): void;
}

/** AgentStatus is the state pill and the Available / Away switch. */
export function AgentStatus({ status, signal, busy, error, callbackDue, onChoose }: AgentStatusProps) {
  const now = useNow(true, 1000);
  // Without the socket the router cannot reach this desk, whatever the row says.
  const connected = signal === 'open';
  const state: AgentStateName = connected ? (status?.state ?? 'offline') : 'offline';
  const since = status?.since ? Date.parse(status.since) : NaN;
  const until = status?.wrapUntil ? Date.parse(status.wrapUntil) : NaN;
  let detail = '';
  if (!connected) detail = signal === 'connecting' ? 'Connecting…' : 'Reconnecting…';
  else if (state === 'wrap_up' && !Number.isNaN(until)) detail = `${clock((until - now) / 1000)} left`;
  else if (!Number.isNaN(since)) detail = `for ${clock((now - since) / 1000)}`;
  const inCall = state === 'ringing' || state === 'on_call';
  // During wrap-up neither is chosen: "Ready" ends it early.
  const choice = state === 'away' || state === 'offline' ? 'away' : state === 'wrap_up' ? null : 'available';

  return (
    <div class="agent-status">
      <p class={`agent-pill state-${state}`} role="status" aria-live="polite" data-state={state}>
        <span class="agent-dot" aria-hidden="true" />
        <span class="agent-label">{state === 'ringing' && callbackDue ? 'Call back due' : agentStateNames[state]}</span>
        {detail && <span class="agent-since">{detail}</span>}
      </p>
      <div class="agent-switch" role="group" aria-label="Your availability" data-testid="agent-state" data-state={state}>
        {(['available', 'away'] as const).map((v) => (
          <button
            key={v}
            type="button"
            value={v}
            class={choice === v && connected ? 'is-on' : ''}
            aria-pressed={choice === v && connected}
            disabled={busy || !connected || inCall || (v === 'away' && state === 'away')}
            title={inCall ? 'Finish the call first' : undefined}
            onClick={() => onChoose(v)}
          >
            {v === 'available' ? (state === 'wrap_up' ? 'Ready' : 'Available') : 'Away'}
          </button>
        ))}
      </div>
      {error && (
        <p class="agent-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
