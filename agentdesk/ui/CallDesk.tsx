// CallDesk: the agent's working area. useDesk ties the socket, the call
// client, the agent's routing state, call-back requests and the wrap-up
// together; CallDesk shows whichever matters now (a ringing shopper, the
// call, its wrap-up, call-backs, or the wait for the next shopper) beside
// the store's queue and mailbox, and the live view for supervisors.

import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Account } from '../../backend/web/ui/api';
import { HeadsetIcon, PhoneMissedIcon, PhoneOutgoingIcon } from '../../backend/web/ui/icons';
import { errorMessage } from '../../backend/web/ui/session';
import type { QueueCallbackData, QueueContext } from '../../media/client/protocol';
import { AgentStatus } from './AgentStatus';
import { CallActive } from './CallActive';
import { CallContext, shopperName } from './CallContext';
import { CallIncoming } from './CallIncoming';
import { CallWrapUp, type WrapUpItem } from './CallWrapUp';
import { deskApi, type AgentStatus as Status } from './deskApi';
import { DeskSignalContext, useDeskCalls, useDeskSignal, type DeskCalls, type DeskSignal } from './deskSignal';
import { LiveView } from './LiveView';
import { StoreMailbox } from './StoreMailbox';
import { StoreQueue } from './StoreQueue';
import { CallTransfer, useTransferStatus } from './Transfer';

/** Engaged is the shopper's engagement (queue entry) of the current call. */
export interface Engaged {
  /** callId is null for a call back until the server names the call. */
  callId: string | null;
  entryId: string;
  name: string;
  context?: QueueContext | null;
  avatar: boolean;
}

/** Desk is everything the desk's sections share. */
export interface Desk {
  signal: DeskSignal;
  calls: DeskCalls;
  status: Status | null;
  statusBusy: boolean;
  statusError: string;
  choose(state: 'available' | 'away'): Promise<void>;
  /** version grows on every queue.changed and reconnect. */
  version: number;
  callbacks: QueueCallbackData[];
  engaged: Engaged | null;
  wrap: WrapUpItem | null;
  answer(callId: string): void;
  callBack(cb: QueueCallbackData): void;
  wrapSaved(outcome: WrapUpItem['saved']): void;
  ready(): Promise<void>;
}

/**
 * newer keeps whichever view of the agent's state changed last: an HTTP
 * answer can arrive after the agent.state that already followed it (the
 * router offers a call the moment the agent is available).
 */
function newer(old: Status | null, next: Status): Status {
  if (old && Date.parse(old.since) > Date.parse(next.since)) return old;
  return { ...(old ?? {}), ...next };
}

/** useDesk opens the desk's socket and keeps its state while the staff member is signed in. */
export function useDesk(account: Account): Desk {
  const signal = useDeskSignal(account.id);
  const calls = useDeskCalls(signal);
  const [status, setStatus] = useState<Status | null>(null);
  const [statusBusy, setStatusBusy] = useState(false);
  const [statusError, setStatusError] = useState('');
  const [version, setVersion] = useState(0);
  const [callbacks, setCallbacks] = useState<QueueCallbackData[]>([]);
  const [engaged, setEngaged] = useState<Engaged | null>(null);
  const [wrap, setWrap] = useState<WrapUpItem | null>(null);
  const known = useRef(new Map<string, { name: string; context?: QueueContext | null }>());
  const saved = useRef(new Set<string>());

  // The agent's row, on every (re)connect; agent.state keeps it current.
  useEffect(() => {
    if (signal.helloCount === 0 || !account.store) return;
    setVersion((v) => v + 1);
    deskApi
      .agent()
      .then((s) => setStatus((old) => newer(old, s)))
      .catch((e) => setStatusError(errorMessage(e)));
  }, [signal.helloCount, account.store]);

  useEffect(
    () =>
      signal.onMessage((m) => {
        switch (m.type) {
          case 'agent.state': {
            const d = m.data;
            setStatus((s) => newer(s, { ...d, wrapUntil: d.wrapUntil ?? null, entryId: d.entryId ?? null }));
            setStatusError('');
            // A call back is this agent's while they "ring" for it; once the
            // router moved on (it timed out, went to someone else) the card goes.
            setCallbacks((list) => (d.state === 'ringing' ? list.filter((x) => x.entryId === d.entryId) : list.length ? [] : list));
            break;
          }
          case 'queue.changed':
            setVersion((v) => v + 1);
            break;
          case 'queue.callback': {
            const cb = m.data;
            known.current.set(cb.entryId, { name: cb.shopper.name, context: cb.context });
            setCallbacks((list) => [...list.filter((x) => x.entryId !== cb.entryId), cb]);
            break;
          }
        }
      }),
    [signal.onMessage],
  );

  // A shopper's call that ended after it connected goes to wrap-up.
  const call = calls.snap.call;
  useEffect(() => {
    if (!engaged || !call) return;
    if (engaged.callId === null && call.id && call.role === 'caller') {
      setEngaged({ ...engaged, callId: call.id });
      return;
    }
    if (call.phase !== 'ended' || (engaged.callId !== null && engaged.callId !== call.id)) return;
    if (call.connectedAt && !saved.current.has(engaged.entryId)) {
      setWrap({ entryId: engaged.entryId, name: engaged.name, context: engaged.context });
      // The wrap-up replaces the call's summary.
      calls.client.dismiss();
    }
    setEngaged(null);
  }, [call?.phase, call?.id, engaged]);

  // The server's word counts too: a wrap-up for an entry not filed yet (a
  // reload during wrap-up, a call that ended while connecting).
  useEffect(() => {
    if (status?.state !== 'wrap_up' || !status.entryId) {
      // Leaving wrap-up closes a filed form; an unfiled one waits for its outcome.
      if (wrap?.saved && status && status.state !== 'wrap_up') setWrap(null);
      return;
    }
    const id = status.entryId;
    if (saved.current.has(id) || wrap?.entryId === id || engaged?.entryId === id) return;
    const k = known.current.get(id);
    setWrap({ entryId: id, name: k?.name ?? '', context: k?.context });
    if (!k) {
      deskApi
        .engagement(id)
        .then((e) => setWrap((w) => (w && w.entryId === id && !w.context ? { ...w, name: w.name || (e.name ?? ''), context: e.context } : w)))
        .catch(() => {});
    }
  }, [status?.state, status?.entryId, wrap, engaged]);

  const choose = useCallback(async (state: 'available' | 'away') => {
    setStatusBusy(true);
    setStatusError('');
    try {
      const s = await deskApi.setState(state);
      if (s && typeof s === 'object' && 'state' in s) setStatus((old) => newer(old, { ...s, wrapUntil: s.wrapUntil ?? null, entryId: s.entryId ?? null }));
    } catch (e) {
      setStatusError(errorMessage(e));
      throw e;
    } finally {
      setStatusBusy(false);
    }
  }, []);

  const answer = useCallback(
    (callId: string) => {
      const ring = calls.snap.incoming.find((i) => i.callId === callId);
      if (ring?.queue) {
        const q = ring.queue;
        known.current.set(q.entryId, { name: ring.from.name, context: q.context });
        setEngaged({ callId, entryId: q.entryId, name: ring.from.name, context: q.context, avatar: ring.avatar });
      }
      calls.client.answer(callId, true);
    },
    [calls],
  );

  const callBack = useCallback(
    (cb: QueueCallbackData) => {
      setCallbacks((list) => list.filter((x) => x.entryId !== cb.entryId));
      setEngaged({ callId: null, entryId: cb.entryId, name: cb.shopper.name, context: cb.context, avatar: false });
      calls.dialCallback(cb.entryId, shopperName(cb.shopper.name));
    },
    [calls],
  );

  const wrapSaved = useCallback((outcome: WrapUpItem['saved']) => {
    setWrap((w) => {
      if (w) saved.current.add(w.entryId);
      return w ? { ...w, saved: outcome } : w;
    });
  }, []);

  const ready = useCallback(async () => {
    await choose('available');
    setWrap(null);
  }, [choose]);

  return { signal, calls, status, statusBusy, statusError, choose, version, callbacks, engaged, wrap, answer, callBack, wrapSaved, ready };
}

/** DeskStatus is the agent status bar for the desk header. */
export function DeskStatus({ desk, account }: { desk: Desk; account: Account }) {
  // Administrators belong to no store: no queue routes to them.
  if (!account.store) return null;
  // The router offers shoppers to agents only; a supervisor watches the floor.
  if (account.role === 'supervisor') {
    const open = desk.signal.state === 'open';
    return (
      <div class="agent-status">
        <p class={`agent-pill state-${open ? 'available' : 'offline'}`} role="status" data-state="supervising">
          <span class="agent-dot" aria-hidden="true" />
          <span class="agent-label">{open ? 'Watching the floor' : 'Connecting…'}</span>
        </p>
      </div>
    );
  }
  return (
    <AgentStatus
      status={desk.status}
      signal={desk.signal.state}
      busy={desk.statusBusy}
      error={desk.statusError}
      callbackDue={desk.callbacks.length > 0 && desk.calls.snap.incoming.length === 0 && !desk.calls.snap.call}
      onChoose={(s) => void desk.choose(s).catch(() => {})}
    />
  );
}

function CallbackCard({ cb, disabled, onCall }: { cb: QueueCallbackData; disabled: boolean; onCall(): void }) {
  const name = shopperName(cb.shopper.name);
  return (
    <section class="callback-card card" data-testid="callback-card" data-entry-id={cb.entryId} aria-labelledby={`cb-${cb.entryId}`}>
      <div class="callback-main">
        <p class="eyebrow">Asked for a call back</p>
        <h2 id={`cb-${cb.entryId}`} class="callback-title">
          Call back {name}
        </h2>
        <p class="muted small">
          {cb.shopper.guest ? 'A guest: the call rings on the page they have open.' : `A member: the call rings their phone${cb.shopper.display ? ` (${cb.shopper.display})` : ''}.`}
        </p>
        <button type="button" class="btn btn-primary" data-testid="callback-dial" disabled={disabled} onClick={onCall}>
          <PhoneOutgoingIcon size={18} /> Call back {name}
        </button>
      </div>
      <CallContext context={cb.context} name={cb.shopper.name} />
    </section>
  );
}

function Idle({ desk }: { desk: Desk }) {
  const open = desk.signal.state === 'open';
  const state = open ? (desk.status?.state ?? 'offline') : 'offline';
  const missed = desk.calls.snap.missed;
  let title = 'Waiting for the next shopper';
  let text = 'When a shopper presses “Talk to a sales agent”, their call rings here with what they are looking at.';
  if (!open) {
    title = 'Connecting to the desk…';
    text = 'Calls reach you once the desk is connected.';
  } else if (state === 'away' || state === 'offline') {
    title = 'You are away';
    text = 'Go Available to take calls from the store’s queue.';
  } else if (state === 'wrap_up') {
    title = 'Wrap-up';
    text = 'The next shopper rings when the wrap-up time is over.';
  }
  return (
    <section class={`desk-idle card state-${state}`} aria-labelledby="idle-title">
      <span class="desk-idle-icon" aria-hidden="true">
        <HeadsetIcon size={28} />
      </span>
      <div>
        <h2 id="idle-title" class="desk-idle-title">
          {title}
        </h2>
        <p class="muted">{text}</p>
        {missed && (
          <p class="desk-missed" role="status">
            <PhoneMissedIcon size={16} />
            <span>
              Missed call from {shopperName(missed.from.name)}
              {missed.reason ? ` (${missed.reason})` : ''}.
            </span>
            <button type="button" class="btn btn-ghost btn-sm" onClick={() => desk.calls.client.dismissMissed()}>
              Dismiss
            </button>
          </p>
        )}
        {open && (state === 'away' || state === 'offline') && (
          <button type="button" class="btn btn-primary" onClick={() => void desk.choose('available').catch(() => {})} disabled={desk.statusBusy}>
            Go available
          </button>
        )}
      </div>
    </section>
  );
}

export interface CallDeskProps {
  desk: Desk;
  account: Account;
  /**
   * cobrowse renders the co-browse view of a shopper's call into the call's
   * slot, e.g. (e) => <CobrowseView entryId={e.entryId} send={desk.signal.send}
   * onMessage={desk.signal.onMessage} shopperName={e.name} />.
   */
  cobrowse?(engaged: Engaged): ComponentChildren;
  /** tools renders the agent's engagement tools (cart, add-ons, order, credit) for the shopper's call. */
  tools?(engaged: Engaged): ComponentChildren;
}

/** CallDesk is the agent's working area with the queue and the mailbox beside it. */
export function CallDesk({ desk, account, cobrowse, tools }: CallDeskProps) {
  const { snap, client } = desk.calls;
  const c = snap.call;
  const live = !!c && c.phase !== 'ended';
  const store = account.store;
  if (!store) return null;
  const supervising = account.role === 'supervisor';
  const engaged = desk.engaged && (desk.engaged.callId === null || desk.engaged.callId === c?.id) ? desk.engaged : null;
  const transferStatus = useTransferStatus(desk.signal, c?.id ?? null);
  // Taking a warm transfer over, the engagement is not this agent's until
  // the first agent completes it: its tools (cart, board, co-browse) open then.
  const takingOver = !!transferStatus?.taking && transferStatus.state === 'consulting';

  let stage;
  if (snap.incoming.length > 0) {
    stage = snap.incoming.map((i) => (
      <CallIncoming key={i.callId} ring={i} me={account.id} onAnswer={() => desk.answer(i.callId)} onDecline={() => client.decline(i.callId)} />
    ));
  } else if (c && (live || !desk.wrap)) {
    stage = (
      <CallActive
        call={c}
        client={client}
        selfName={account.name}
        avatar={engaged?.avatar ?? c.peerAvatar}
        context={engaged?.context ?? c.offer?.context}
        storeSlug={store?.slug}
        cobrowse={engaged && cobrowse && !takingOver ? cobrowse(engaged) : undefined}
        tools={engaged && tools && !takingOver ? tools(engaged) : undefined}
        transfer={
          engaged && c.role === 'callee' && c.phase === 'active' && !supervising ? (
            <CallTransfer entryId={engaged.entryId} shopper={shopperName(engaged.name)} storeName={store.name} status={transferStatus} />
          ) : undefined
        }
      />
    );
  } else if (desk.wrap) {
    stage = <CallWrapUp key={desk.wrap.entryId} item={desk.wrap} storeSlug={store?.slug} wrapUntil={desk.status?.state === 'wrap_up' ? desk.status.wrapUntil : null} onSaved={desk.wrapSaved} onReady={desk.ready} />;
  } else if (supervising) {
    stage = <LiveView storeName={store.name} version={desk.version} />;
  } else if (desk.callbacks.length === 0) {
    stage = <Idle desk={desk} />;
  }
  const busy = live || snap.incoming.length > 0;
  const liveBelow = supervising && (busy || !!c || !!desk.wrap);

  return (
    <DeskSignalContext.Provider value={desk.signal}>
      <div class={`desk-floor${live ? ' is-in-call' : ''}`}>
        <div class="desk-stage-col">
          {stage}
          {!busy &&
            desk.callbacks.map((cb) => <CallbackCard key={cb.entryId} cb={cb} disabled={busy || desk.signal.state !== 'open'} onCall={() => desk.callBack(cb)} />)}
        </div>
        <div class="desk-side-col">
          <StoreQueue storeName={store?.name ?? 'your store'} version={desk.version} />
          <StoreMailbox version={desk.version} canCall={!busy && desk.signal.state === 'open'} onCallBack={(n, name, d) => desk.calls.dialNumber(n, name, d)} />
        </div>
      </div>
      {liveBelow && <LiveView storeName={store.name} version={desk.version} />}
    </DeskSignalContext.Provider>
  );
}
