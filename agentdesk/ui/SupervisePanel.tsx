// The supervisor's calls in progress and the call they stepped into.
//
//   const sup = useSupervision();           // in the live view
//   <LiveCalls calls={live.calls} sup={sup} now={now} />
//   {sup.call && <SupervisePanel sup={sup} />}
//
// Monitor listens and watches, unseen and unheard; Whisper is heard by the
// agent only; Barge joins the call and the shopper sees "Noor, supervisor"
// join. The mode changes in place; Leave steps out. While in a call the
// supervisor sees the shopper's co-browsed page and the board too.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { VideoTile } from '../../backend/web/ui/CallKit';
import { EyeIcon, HeadsetIcon, MicIcon, UsersIcon } from './superviseIcons';
import { formatMoney } from '../../backend/web/ui/money';
import { errorMessage, initials } from '../../backend/web/ui/session';
import { useLiveBoard, Whiteboard, type BoardParty } from '../../backend/web/ui/Whiteboard';
import { clock } from './deskApi';
import { CobrowseView } from './CobrowseView';
import { useDeskSocket } from './deskSignal';
import { modeNames, superviseApi, type LiveCall } from './superviseApi';
import { SupervisedCall, type SuperviseMode, type SupervisedView } from './superviseCall';
import './supervise.css';

/** Supervision is the supervisor's standing in calls and the ways to change it. */
export interface Supervision {
  /** call is the call stepped into (or just left), null before any. */
  call: SupervisedView | null;
  /** about is the live-view line of that call. */
  about: LiveCall | null;
  busy: boolean;
  error: string;
  step(c: LiveCall, mode: SuperviseMode): Promise<void>;
  leave(): Promise<void>;
  dismiss(): void;
}

/** useSupervision keeps the call the supervisor stepped into, on the desk's socket. */
export function useSupervision(): Supervision {
  const socket = useDeskSocket();
  const [view, setView] = useState<SupervisedView | null>(null);
  const [about, setAbout] = useState<LiveCall | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const cur = useRef<{ sc: SupervisedCall; off: () => void } | null>(null);

  const drop = useCallback((reason: string) => {
    const c = cur.current;
    if (!c) return;
    c.off();
    c.sc.close(reason);
    cur.current = null;
  }, []);
  useEffect(() => () => drop(''), [drop]);

  const step = useCallback(
    async (c: LiveCall, mode: SuperviseMode) => {
      const connId = socket.connId();
      if (!connId) {
        setError('The desk is not connected yet: try again in a moment.');
        return;
      }
      setBusy(true);
      setError('');
      let mine = cur.current;
      const fresh = !mine || mine.sc.view.entryId !== c.entryId || mine.sc.view.phase === 'ended';
      if (fresh) {
        // The call's offer may come before the answer: the client is ready first.
        drop('');
        const sc = new SupervisedCall(c.entryId, c.callId, mode, { send: socket.send, onChange: setView });
        const off = socket.onMessage((m) => sc.handle(m));
        mine = { sc, off };
        cur.current = mine;
        setView(sc.view);
        setAbout(c);
      }
      try {
        await superviseApi.supervise(c.entryId, mode, connId);
        if (cur.current === mine) mine!.sc.setMode(mode);
      } catch (e) {
        setError(errorMessage(e));
        if (fresh && cur.current === mine) drop('');
      } finally {
        setBusy(false);
      }
    },
    [socket, drop],
  );

  const leave = useCallback(async () => {
    const c = cur.current;
    if (!c) return;
    setBusy(true);
    try {
      await superviseApi.stop(c.sc.view.entryId);
    } catch (e) {
      // Out of the call already (it ended): nothing to leave.
      if (c.sc.view.phase !== 'ended') setError(errorMessage(e));
    } finally {
      if (cur.current === c) drop('You left the call.');
      setBusy(false);
    }
  }, [drop]);

  const dismiss = useCallback(() => {
    drop('');
    setView(null);
    setAbout(null);
    setError('');
  }, [drop]);

  return { call: view, about, busy, error, step, leave, dismiss };
}

const modeHints: Record<SuperviseMode, string> = {
  monitor: 'Nobody in the call sees or hears you.',
  whisper: 'Only the agent hears you; the shopper does not.',
  barge: 'You are in the call: everyone sees and hears you.',
};

const modeTitles: Record<SuperviseMode, string> = { monitor: 'Monitoring', whisper: 'Whispering to the agent', barge: 'Barged in' };

const modes: SuperviseMode[] = ['monitor', 'whisper', 'barge'];

function ModeButtons({ current, disabled, onMode, label }: { current?: SuperviseMode; disabled: boolean; onMode(m: SuperviseMode): void; label: string }) {
  return (
    <div class="sv-modes" role="group" aria-label={label}>
      {modes.map((m) => (
        <button
          key={m}
          type="button"
          class={`btn btn-sm sv-mode sv-mode-${m}${current === m ? ' is-on' : ''}`}
          aria-pressed={current === m}
          disabled={disabled}
          data-testid={`supervise-${m}`}
          onClick={() => onMode(m)}
        >
          {m === 'monitor' ? <EyeIcon size={16} /> : m === 'whisper' ? <MicIcon size={16} /> : <UsersIcon size={16} />}
          {modeNames[m]}
        </button>
      ))}
    </div>
  );
}

/** LiveCalls lists the calls in progress with the ways to step in. */
export function LiveCalls({ calls, sup, now }: { calls: LiveCall[]; sup: Supervision; now: number }) {
  return (
    <section class="sv-calls" aria-labelledby="sv-calls-title" data-testid="live-calls">
      <h3 id="sv-calls-title" class="sv-calls-title">
        Calls in progress <span class="sv-count">{calls.length}</span>
      </h3>
      {calls.length === 0 ? (
        <p class="muted small sv-none">No calls right now. Each call appears here as soon as an agent answers it.</p>
      ) : (
        <ul class="sv-call-list">
          {calls.map((c) => {
            const since = Date.parse(c.answeredAt);
            const mine = sup.call && sup.call.entryId === c.entryId && sup.call.phase !== 'ended' ? sup.call.mode : undefined;
            const others = c.supervisors.filter((s) => !(mine && s.mode === mine));
            return (
              <li key={c.entryId} class={`sv-call${mine ? ' is-mine' : ''}`} data-testid="live-call" data-entry-id={c.entryId}>
                <div class="sv-call-who">
                  <span class="avatar avatar-sm" aria-hidden="true">
                    {initials(c.agent || '?')}
                  </span>
                  <div class="sv-call-names">
                    <strong>{c.agent || 'An agent'}</strong>
                    <span class="muted small">
                      with {c.shopper}
                      {c.member ? '' : ' (guest)'}
                    </span>
                  </div>
                  <span class="sv-clock" aria-label="Duration">
                    <span class="live-dot" aria-hidden="true" />
                    {Number.isNaN(since) ? '–' : clock(Math.max(0, (now - since) / 1000))}
                  </span>
                </div>
                <dl class="sv-call-facts">
                  <div>
                    <dt>Product</dt>
                    <dd>{c.product?.name ?? '–'}</dd>
                  </div>
                  <div>
                    <dt>Cart</dt>
                    <dd>{c.cartItems > 0 ? `${formatMoney(c.cartMinor, c.currency || 'EUR')} · ${c.cartItems} ${c.cartItems === 1 ? 'item' : 'items'}` : 'Empty'}</dd>
                  </div>
                </dl>
                {others.length > 0 && (
                  <p class="sv-others small">
                    {others.map((s) => `${s.name} (${modeNames[s.mode].toLowerCase()})`).join(', ')} {others.length === 1 ? 'is' : 'are'} in this call
                  </p>
                )}
                <ModeButtons current={mine} disabled={sup.busy} label={`Step into ${c.agent}’s call with ${c.shopper}`} onMode={(m) => void sup.step(c, m)} />
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

/** SupervisePanel is the call the supervisor stepped into: its people, the mode, the shopper's page and the board. */
export function SupervisePanel({ sup, now }: { sup: Supervision; now: number }) {
  const socket = useDeskSocket();
  const v = sup.call;
  const c = sup.about;
  if (!v || !c) return null;
  const ended = v.phase === 'ended';
  const since = Date.parse(c.answeredAt);
  const status = ended ? v.reason || 'You are out of the call.' : v.phase === 'joining' ? 'Connecting to the call…' : modeHints[v.mode];
  return (
    <section class={`sv-panel mode-${v.mode}${ended ? ' is-ended' : ''}`} aria-labelledby="sv-title" data-testid="supervise-panel" data-mode={v.mode} data-phase={v.phase}>
      <header class="sv-head">
        <div class="sv-head-text">
          <p class="eyebrow">{ended ? 'Out of the call' : modeTitles[v.mode]}</p>
          <h3 id="sv-title">
            {c.agent} with {c.shopper}
          </h3>
          <p class="muted small" role="status" data-testid="supervise-status">
            {!ended && !Number.isNaN(since) && <span class="sv-clock-inline">{clock(Math.max(0, (now - since) / 1000))} · </span>}
            {status}
          </p>
        </div>
        {ended ? (
          <button type="button" class="btn btn-ghost btn-sm" onClick={sup.dismiss}>
            Close
          </button>
        ) : (
          <div class="sv-head-actions">
            <ModeButtons current={v.mode} disabled={sup.busy} label="How you are in the call" onMode={(m) => void sup.step(c, m)} />
            <button type="button" class="btn btn-secondary btn-sm sv-leave" data-testid="supervise-leave" disabled={sup.busy} onClick={() => void sup.leave()}>
              Leave
            </button>
          </div>
        )}
      </header>
      {v.notice && <p class="status sv-notice small">{v.notice}</p>}
      {!ended && (
        <>
          <div class="sv-stage">
            {v.streams.length === 0 && (
              <div class="video-tile sv-tile sv-tile-wait">
                <HeadsetIcon size={22} />
                <span>Joining the call’s audio and video…</span>
              </div>
            )}
            {v.streams.map((s) => (
              <figure key={s.id} class="video-tile sv-tile" data-testid="supervise-remote">
                <VideoTile stream={s.stream} muted={false} class="video-tile-video" label={`${s.name || 'Someone'} in the call`} />
                <figcaption>{s.name || 'In the call'}</figcaption>
              </figure>
            ))}
            {v.localStream && v.mode !== 'monitor' && (
              <figure class="video-tile sv-tile sv-self">
                <VideoTile stream={v.localStream} muted class="video-tile-video" label="You" />
                <figcaption>{v.mode === 'whisper' ? 'You, to the agent only' : 'You'}</figcaption>
              </figure>
            )}
          </div>
          <div class="sv-tools">
            <CobrowseView entryId={v.entryId} send={socket.send} onMessage={socket.onMessage} shopperName={c.shopper} watchOnly />
            <WatchedBoard entryId={v.entryId} agent={c.agent} shopper={c.shopper} />
          </div>
        </>
      )}
    </section>
  );
}

/** viewer is nobody on the board: a supervisor's board names both parties. */
const viewer = 'supervisor' as BoardParty;

/** WatchedBoard is the engagement's board, live and read-only. */
function WatchedBoard({ entryId, agent, shopper }: { entryId: string; agent: string; shopper: string }) {
  const socket = useDeskSocket();
  const { view } = useLiveBoard(entryId, socket.send, socket.onMessage);
  return (
    <section class="sv-board" aria-label="The call's whiteboard" data-testid="supervise-board">
      <h4>Whiteboard</h4>
      <Whiteboard items={view.items} me={viewer} names={{ agent, shopper }} label={`Whiteboard of ${agent} and ${shopper}`} empty="Nothing drawn yet. What the agent and shopper draw appears here." />
    </section>
  );
}
