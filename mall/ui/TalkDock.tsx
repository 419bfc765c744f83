// TalkDock: the call panel beside the page while the shopper browses (a
// column on wide screens, a bar at the bottom on narrow ones: see CallStack;
// folded, it is that bar at any width). It carries a call to a store's sales
// line through every phase: waiting in line (position and estimate, live), the other ways when no agent can take
// the call (a video message, a call back, keep waiting), the message itself,
// the call with the agent, a call back ringing this page, and the outcome.

import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type Account } from '../../backend/web/ui/api';
import {
  CheckIcon,
  CloseIcon,
  HangUpIcon,
  MicIcon,
  PhoneIncomingIcon,
  Svg,
  VideoIcon,
  VoicemailIcon,
  type IconProps,
} from '../../backend/web/ui/icons';
import { initials } from '../../backend/web/ui/session';
import { outcomeText, type CallClient, type CallView, type QueueView } from '../../media/client/call';
import { waitText } from './QueueState';
import { BoardButton, BoardOverlay } from './BoardDock';
import { SuggestionNotice } from './SuggestionNotice';
import { CreditCallCard } from './CreditCallCard';
import { AgeNotice } from './AgeNotice';
import { AgentStage, CallButtons, clock, SelfView, useTick } from './TalkMedia';
import { onHold, TransferHold, TransferNote, useTransfer } from './TransferCard';
import { useTalk, useTalkSession, type TalkState } from './talkSession';
import { IncomingCallCard, type IncomingCallClasses } from '../../backend/web/ui/IncomingCallCard';
import { wideQuery } from './CallStack';

/** ChevronIcon points down (fold away) or up (open again). */
const ChevronIcon = (p: IconProps & { up?: boolean }) => (
  <Svg size={p.size} class={p.class}>
    <path d={p.up ? 'm6 15 6-6 6 6' : 'm6 9 6 6 6-6'} />
  </Svg>
);

type Stage = 'connecting' | 'failed' | 'incoming' | 'queued' | 'mailbox' | 'active' | 'callback' | 'ended';

function stageOf(s: TalkState, c: CallView | null): Stage {
  if (s.error) return 'failed';
  if (s.snap.incoming.length > 0 && (!c || c.phase === 'ended' || c.phase === 'callback')) return 'incoming';
  if (s.connecting || !c) return 'connecting';
  switch (c.phase) {
    case 'dialing':
    case 'ringing':
    case 'queued':
      return 'queued';
    case 'answering':
    case 'active':
      return 'active';
    case 'mailbox':
    case 'recording':
      return 'mailbox';
    case 'callback':
      return 'callback';
    default:
      return 'ended';
  }
}

/** endedText is how the call ended, in the shopper's words. */
function endedText(c: CallView): string {
  if (c.lost) return outcomeText(c);
  if (c.error) return c.error;
  if (c.reason === 'left the queue') return 'You left the queue.';
  // The server ends the call when the agent's age check refuses the order.
  if (c.reason.startsWith('the order was refused')) return `${c.reason.replace(/^the/, 'The').replace(/the shopper is/, 'you are')}.`;
  if (c.outcome === 'answered' && c.connectedAt) return `Your call with ${c.peer.name || 'the agent'} ended.`;
  return outcomeText(c);
}

/** useMemberNumber loads the signed-in member's own number (for "we will call you at …"). */
function useMemberNumber(account: Account | null, on: boolean): string {
  const [display, setDisplay] = useState('');
  useEffect(() => {
    if (!on || !account) return;
    let alive = true;
    api.get<{ numbers?: { display: string; primary: boolean }[] }>('/directory/me').then(
      (r) => {
        const nums = r.numbers ?? [];
        const n = nums.find((x) => x.primary) ?? nums[0];
        if (alive && n) setDisplay(n.display);
      },
      () => {},
    );
    return () => {
      alive = false;
    };
  }, [account?.id, on]);
  return display;
}

/** useMatches follows a media query. */
export function useMatches(query: string): boolean {
  const [on, setOn] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const m = window.matchMedia(query);
    const change = () => setOn(m.matches);
    change();
    m.addEventListener('change', change);
    return () => m.removeEventListener('change', change);
  }, [query]);
  return on;
}

export interface TalkDockProps {
  account: Account | null;
  /**
   * children are extra cards shown in the panel under the call (e.g. a
   * credit application, a notice about the order): wrap each in a DockCard.
   * They show in the open panel and in the folded bar alike.
   */
  children?: ComponentChildren;
}

/** TalkDock renders the open call panel, or nothing while it is closed. */
export function TalkDock({ account, children }: TalkDockProps) {
  const talk = useTalkSession();
  const s = useTalk();
  const c = s.snap.call ?? s.last;
  const stage = s.target ? stageOf(s, c) : 'connecting';
  const memberNumber = useMemberNumber(account, stage === 'queued' || stage === 'callback');
  const now = useTick(s.target !== null && (stage === 'active' || stage === 'mailbox'));
  const wide = useMatches(wideQuery);
  const transfer = useTransfer();
  // What needs an answer opens a folded panel: a call back ringing, a choice to make, the agent asking to see you.
  // A hold while the call is transferred shows its card too.
  const needsAnswer = stage === 'incoming' || !!c?.queue?.fallback || !!c?.videoAsked || onHold(transfer);
  // A call that ended badly (lost, refused, failed) says why, with its Call back.
  const badEnd = stage === 'ended' && !!c && (c.lost || !!c.error || c.reason.startsWith('the order was refused'));
  // On a narrow screen the open panel would lie over the page: once the call
  // is under way (or over) it folds to the bar, and the shopper opens it at will.
  useEffect(() => {
    if (!wide && !needsAnswer && !badEnd && (stage === 'queued' || stage === 'active' || stage === 'ended' || stage === 'callback')) talk.setMinimized(true);
  }, [wide, stage]);
  useEffect(() => {
    if (needsAnswer || badEnd) talk.setMinimized(false);
  }, [needsAnswer, badEnd]);
  if (!s.target) return null;
  const client = talk.callClient;
  const store = s.target.store;
  const selfName = account?.name ?? 'You';
  const agent = c?.peer.name && c.peer.name !== store.name ? c.peer.name : '';

  let status = '';
  switch (stage) {
    case 'connecting':
      status = `Calling ${store.name}…`;
      break;
    case 'failed':
      status = 'Not connected';
      break;
    case 'incoming':
      status = 'Calling you back';
      break;
    case 'queued':
      status = c?.queue?.fallback ? 'No agent free' : c?.queue?.position ? `Number ${c.queue.position} in line` : 'Finding an agent…';
      break;
    case 'active':
      status = onHold(transfer) ? `On hold · connecting you to ${transfer?.to}` : c?.phase === 'active' ? `Connected ${clock((now - (c.connectedAt ?? now)) / 1000)}` : 'Connecting…';
      break;
    case 'mailbox':
      status = c?.phase === 'recording' ? `Recording ${clock((now - (c.recordingAt ?? now)) / 1000)}` : 'Message';
      break;
    case 'callback':
      status = 'Call back arranged';
      break;
    case 'ended':
      status = c?.lost ? 'Connection lost' : 'Ended';
  }

  return (
    <section
      class={`talk-dock stage-${stage}${s.minimized ? ' is-min' : ''}`}
      data-layout={s.minimized ? 'bar' : wide ? 'column' : 'sheet'}
      role="region"
      aria-label={`Call with ${store.name}`}
      data-testid="talk-panel"
      data-phase={c?.phase ?? stage}
      style={{ '--brand': store.brandColor || '#5b3df5' }}
    >
      <header class="talk-dock-head">
        <span class="talk-dock-swatch" aria-hidden="true" />
        <div class="talk-dock-who">
          <p class="talk-dock-title">{agent ? `${agent} · ${store.name}` : store.name}</p>
          <p class={`talk-dock-status${c?.phase === 'recording' ? ' is-recording' : ''}`} role="status" aria-live="polite">
            {c?.phase === 'recording' && <span class="rec-dot" aria-hidden="true" />}
            {status}
          </p>
        </div>
        <button
          type="button"
          class="icon-btn talk-dock-fold"
          aria-expanded={!s.minimized}
          aria-label={s.minimized ? 'Open the call panel' : 'Fold the call panel away'}
          onClick={() => talk.setMinimized(!s.minimized)}
        >
          <ChevronIcon size={18} up={s.minimized} />
        </button>
      </header>
      <div class="talk-dock-body">
        {stage === 'connecting' && <Connecting store={store.name} />}
        {stage === 'failed' && <Failed message={s.error} />}
        {stage === 'incoming' && client && <Incoming s={s} client={client} />}
        {stage === 'queued' && c && client && (
          <Queued c={c} client={client} store={store.name} product={s.target.product?.name} member={account !== null} memberNumber={memberNumber} selfName={selfName} />
        )}
        {stage === 'mailbox' && c && <Mailbox c={c} store={store.name} now={now} selfName={selfName} />}
        {stage === 'active' && c && client && <AgentStage call={c} client={client} selfName={selfName} overlay={<TransferHold t={transfer} agent={agent} />} />}
        {(stage === 'active' || stage === 'queued') && <TransferNote t={transfer} />}
        {stage === 'active' && <SuggestionNotice />}
        {stage === 'active' && <AgeNotice store={store.slug} inCallPanel />}
        {stage === 'active' && <CreditCallCard />}
        {stage === 'active' && <BoardButton agent={agent} />}
        {stage === 'callback' && c && <Callback q={c.queue} store={store.name} member={account !== null} memberNumber={memberNumber} />}
        {stage === 'ended' && c && <Ended c={c} now={now} />}
        {stage === 'ended' && <BoardButton agent={agent} />}
        {children && (
          <div class="talk-dock-cards" data-testid="talk-cards">
            {children}
          </div>
        )}
      </div>
      {c && client && (stage === 'queued' || stage === 'active' || stage === 'mailbox') && (
        <CallButtons
          call={c}
          client={client}
          hangLabel={stage === 'queued' ? 'Leave' : c.phase === 'recording' ? 'Send' : 'Hang up'}
          onHangUp={() => client.hangup()}
        />
      )}
      {stage === 'connecting' && (
        <div class="talk-controls">
          <button type="button" class="call-btn call-btn-hangup talk-btn" data-testid="hangup" onClick={() => talk.close()}>
            <HangUpIcon size={22} />
            <span>Cancel</span>
          </button>
        </div>
      )}
      {(stage === 'ended' || stage === 'failed' || stage === 'callback') && (
        <footer class="talk-dock-foot">
          {stage !== 'callback' && (
            // After a lost connection, ringing the store again is the way back.
            <button type="button" class={`btn btn-sm ${c?.lost ? 'btn-primary' : 'btn-secondary'}`} data-testid="talk-again" onClick={() => talk.retry()}>
              {c?.lost ? 'Call back' : 'Call again'}
            </button>
          )}
          <button type="button" class={`btn btn-sm ${c?.lost ? 'btn-secondary' : 'btn-primary'}`} data-testid="talk-close" onClick={() => talk.close()}>
            Close
          </button>
        </footer>
      )}
      <BoardOverlay agent={agent} />
    </section>
  );
}

function Connecting({ store }: { store: string }) {
  return (
    <div class="talk-center">
      <div class="talk-ring is-ringing" aria-hidden="true">
        <span class="avatar talk-ring-avatar">{initials(store)}</span>
      </div>
      <p class="small">Connecting you to the sales line…</p>
    </div>
  );
}

function Failed({ message }: { message: string }) {
  return (
    <div class="talk-center">
      <p class="talk-big">The call did not start</p>
      <p class="small">{message}</p>
    </div>
  );
}

const mallCard: IncomingCallClasses = {
  card: 'talk-center talk-incoming',
  who: 'kit-contents',
  text: 'kit-contents',
  name: 'talk-big',
  actions: 'talk-choices-row',
};

function Incoming({ s, client }: { s: TalkState; client: CallClient }) {
  const ring = s.snap.incoming[0];
  const withVideo = s.mode === 'video';
  return (
    <IncomingCallCard
      callId={ring.callId}
      classes={mallCard}
      face={
        <div class="talk-ring is-ringing" aria-hidden="true">
          <span class="avatar talk-ring-avatar">{initials(ring.from.name)}</span>
        </div>
      }
      name={`${ring.from.name} is calling you back`}
      nameAs="p"
      actions={
        <>
          <button type="button" class="btn btn-answer" data-testid="answer" onClick={() => client.answer(ring.callId, withVideo)}>
            {withVideo ? <VideoIcon size={18} /> : <MicIcon size={18} />} Answer
          </button>
          <button type="button" class="btn btn-decline" data-testid="decline" onClick={() => client.decline(ring.callId)}>
            <HangUpIcon size={18} /> Decline
          </button>
        </>
      }
    />
  );
}

interface QueuedProps {
  c: CallView;
  client: CallClient;
  store: string;
  product?: string;
  member: boolean;
  memberNumber: string;
  selfName: string;
}

function Queued({ c, client, store, product, member, memberNumber, selfName }: QueuedProps) {
  const q = c.queue;
  if (q?.fallback) {
    const f = q.fallback;
    const has = (x: string) => f.choices.some((y) => y === x);
    const video = c.mode === 'video';
    return (
      <div class="talk-fallback" role="group" aria-labelledby="talk-fb-t">
        <p class="talk-big" id="talk-fb-t">
          {f.reason === 'no_agents' ? `No agent at ${store} can take your call right now.` : `The wait at ${store} is longer than usual.`}
        </p>
        <p class="small muted-light">What would you like to do?</p>
        <div class="talk-choices">
          {has('message') && (
            <button type="button" class="talk-choice" data-testid="fallback-message" onClick={() => client.chooseInQueue('message')}>
              <VoicemailIcon size={20} />
              <span>
                <strong>{video ? `Leave a video message for ${store}` : `Leave a message for ${store}`}</strong>
                <small>They see it as soon as an agent is free.</small>
              </span>
            </button>
          )}
          {has('callback') && (
            <button type="button" class="talk-choice" data-testid="fallback-callback" onClick={() => client.chooseInQueue('callback')}>
              <PhoneIncomingIcon size={20} />
              <span>
                <strong>Call me back</strong>
                <small>
                  {member
                    ? `We will call you at ${memberNumber || 'your livemall number'}; you keep your place in line.`
                    : 'Keep this page open; the agent will call you here.'}
                </small>
              </span>
            </button>
          )}
          {has('wait') && (
            <button type="button" class="talk-choice" data-testid="fallback-wait" onClick={() => client.chooseInQueue('wait')}>
              <CheckIcon size={20} />
              <span>
                <strong>Keep waiting</strong>
                <small>{q.position ? `You are number ${q.position} in line.` : 'You keep your place in line.'}</small>
              </span>
            </button>
          )}
        </div>
      </div>
    );
  }
  return (
    <div class="talk-queue">
      <div class="talk-queue-main">
        <QueueLine q={q} chosen={q?.chosen ?? null} store={store} />
        {product && <p class="small muted-light talk-about">About: {product}</p>}
        <p class="small muted-light">You can keep browsing: this panel stays with you.</p>
      </div>
      <SelfView call={c} selfName={selfName} />
    </div>
  );
}

function QueueLine({ q, chosen, store }: { q: QueueView | null; chosen: QueueView['chosen']; store: string }) {
  if (chosen === 'message') return <p class="talk-queue-line">Connecting you to {store}’s message box…</p>;
  if (chosen === 'callback') return <p class="talk-queue-line">Arranging your call back…</p>;
  if (!q || !q.position) return <p class="talk-queue-line">Finding a free sales agent at {store}…</p>;
  return (
    <p class="talk-queue-line">
      You are number{' '}
      <strong class="talk-position" data-testid="queue-position">
        {q.position}
      </strong>{' '}
      in line{q.waitSeconds > 0 ? <> — about {waitText(q.waitSeconds).slice(1)}</> : null}
    </p>
  );
}

function Mailbox({ c, store, now, selfName }: { c: CallView; store: string; now: number; selfName: string }) {
  const recording = c.phase === 'recording';
  const secs = recording ? (now - (c.recordingAt ?? now)) / 1000 : 0;
  const share = recording ? Math.min(1, secs / c.maxSeconds) : 0;
  return (
    <div class="talk-mailbox">
      <SelfView call={c} selfName={selfName} large />
      <p class="talk-greeting">“{c.greeting || `Nobody at ${store} can take your call right now. Leave a message after the tone.`}”</p>
      {recording ? (
        <>
          <div class="rec-bar" role="progressbar" aria-label="Message length" aria-valuemin={0} aria-valuemax={c.maxSeconds} aria-valuenow={Math.round(secs)}>
            <span style={{ width: `${share * 100}%` }} />
          </div>
          <p class="small muted-light" data-testid="recording-timer">
            {clock(secs)} / {clock(c.maxSeconds)} · Speak now, then press Send.
          </p>
        </>
      ) : (
        <p class="small muted-light">Listen to the greeting; recording starts at the tone.</p>
      )}
    </div>
  );
}

function Callback({ q, store, member, memberNumber }: { q: QueueView | null; store: string; member: boolean; memberNumber: string }) {
  const place = q?.position ? ` (number ${q.position})` : '';
  return (
    <div class="talk-center talk-callback">
      <span class="talk-done" aria-hidden="true">
        <CheckIcon size={26} />
      </span>
      <p class="talk-big">{store} will call you back</p>
      {member ? (
        <p class="small">
          An agent will call you at <strong class="mono">{memberNumber || 'your livemall number'}</strong>. You keep your place in line{place}.
        </p>
      ) : (
        <p class="small">
          Keep this page open; the agent will call you here. You keep your place in line{place}. Closing this panel cancels the call
          back on this page.
        </p>
      )}
    </div>
  );
}

function Ended({ c, now }: { c: CallView; now: number }) {
  const lasted = c.connectedAt && c.endedAt ? clock((c.endedAt - c.connectedAt) / 1000) : '';
  const bad = !!c.error || c.lost || c.reason.startsWith('the order was refused');
  void now;
  return (
    <div class="talk-center talk-ended">
      <span class={`talk-done${bad ? ' is-error' : ''}`} aria-hidden="true">
        {bad ? <CloseIcon size={24} /> : <CheckIcon size={24} />}
      </span>
      <p class="talk-big" data-testid="talk-outcome">
        {endedText(c)}
      </p>
      {c.lost && <p class="small">The call with {c.peer.name || 'the store'} dropped. Call back to ring the store again.</p>}
      {lasted && <p class="small muted-light">The call lasted {lasted}.</p>}
    </div>
  );
}
