// LiveView: the supervisor's live figures of their store: the queue, the
// agents and their states, today's service level, and the calls in
// progress, each with Monitor / Whisper / Barge (SupervisePanel.tsx). It
// refreshes every 2 s and at once on queue.changed.

import { useEffect, useRef, useState } from 'preact/hooks';
import { HeadsetIcon } from '../../backend/web/ui/icons';
import { errorMessage, initials } from '../../backend/web/ui/session';
import { useNow } from './CallContext';
import { agentStateNames, clock, deskApi, type LiveFigures } from './deskApi';
import { LiveCalls, SupervisePanel, useSupervision } from './SupervisePanel';

function percent(ratio: number | undefined): string {
  return typeof ratio === 'number' && Number.isFinite(ratio) ? `${Math.round(ratio * 100)}%` : '–';
}

function Figure({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div class="live-figure">
      <dt>{label}</dt>
      <dd>
        <span class="live-value">{value}</span>
        {hint && <span class="live-hint muted small">{hint}</span>}
      </dd>
    </div>
  );
}

function waitHint(l: LiveFigures): string {
  const parts = [l.queueLength ? `longest ${clock(l.longestWaitSeconds)}` : 'nobody in line'];
  if (l.callbacks) parts.push(`${l.callbacks} to call back`);
  return parts.join(' · ');
}

/** LiveView is the supervisor's live panel; version changes on queue.changed. */
export function LiveView({ storeName, version }: { storeName: string; version: number }) {
  const [live, setLive] = useState<LiveFigures | null>(null);
  const [error, setError] = useState('');
  const seq = useRef(0);
  const now = useNow(true, 1000);
  const sup = useSupervision();

  useEffect(() => {
    const load = () => {
      const n = ++seq.current;
      deskApi
        .live()
        .then((l) => {
          if (n !== seq.current) return;
          setLive(l);
          setError('');
        })
        .catch((e) => n === seq.current && setError(errorMessage(e)));
    };
    load();
    const t = setInterval(load, 2000);
    return () => clearInterval(t);
  }, [version]);

  const agents = live?.agents ?? [];
  const free = agents.filter((a) => a.state === 'available').length;
  return (
    <section class="card live-view" aria-labelledby="live-title" data-testid="live-view">
      <div class="catalog-head">
        <div class="tile-head">
          <HeadsetIcon size={20} />
          <h2 id="live-title">Live</h2>
        </div>
        <p class="muted small catalog-sub">{storeName} right now. Refreshes every 2 seconds.</p>
      </div>
      {error && (
        <p class="status status-error" role="alert">
          {error}
        </p>
      )}
      {sup.error && (
        <p class="status status-error" role="alert" data-testid="supervise-error">
          {sup.error}
        </p>
      )}
      <SupervisePanel sup={sup} now={now} />
      {live && (
        <>
          <LiveCalls calls={live.calls ?? []} sup={sup} now={now} />
          <dl class="live-figures">
            <Figure label="Waiting" value={String(live.queueLength)} hint={waitHint(live)} />
            <Figure label="Agents free" value={`${free} / ${agents.length}`} />
            <Figure label="Calls today" value={String(live.callsToday)} hint={typeof live.answeredToday === 'number' ? `${live.answeredToday} answered` : undefined} />
            <Figure label="Answered within 20 s" value={percent(live.answeredWithin20s)} />
            <Figure label="Average handle time" value={live.averageHandleSeconds ? clock(live.averageHandleSeconds) : '–'} />
            <Figure label="Conversion to orders" value={percent(live.conversion)} />
            <Figure label="Add-on attach rate" value={percent(live.attachRate ?? 0)} />
          </dl>
          {agents.length === 0 ? (
            <p class="muted small">No agents in this store yet.</p>
          ) : (
            <ul class="live-agents" aria-label="Agents">
              {agents.map((a, i) => {
                const since = Date.parse(a.since);
                return (
                  <li key={`${a.name}-${i}`} class="live-agent">
                    <span class="avatar avatar-sm" aria-hidden="true">
                      {initials(a.name)}
                    </span>
                    <span class="live-agent-name">
                      {a.name}
                      {a.servedToday ? (
                        <span class="muted small">
                          {' '}
                          · {a.servedToday} served, {percent(a.attachRate ?? 0)} with add-ons
                        </span>
                      ) : null}
                    </span>
                    <span class={`agent-pill state-${a.state}`} data-state={a.state}>
                      <span class="agent-dot" aria-hidden="true" />
                      <span class="agent-label">{agentStateNames[a.state] ?? a.state}</span>
                      {!Number.isNaN(since) && a.state !== 'offline' && <span class="agent-since">{clock((now - since) / 1000)}</span>}
                    </span>
                  </li>
                );
              })}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
