// Mailbox: the messages callers left (with the live unheard count), playing
// one marks it heard; and the recent calls, both ways, with how they ended.

import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import {
  MicIcon,
  PhoneIncomingIcon,
  PhoneMissedIcon,
  PhoneOutgoingIcon,
  PlayIcon,
  TrashIcon,
  VideoIcon,
  VoicemailIcon,
} from '../../backend/web/ui/icons';
import { errorMessage, initials } from '../../backend/web/ui/session';
import type { ServerMessage } from '../../media/client/protocol';
import { clock } from './CallPanel';
import { directoryApi } from './directoryApi';
import { mailboxApi, type CallRecord, type VoiceMessage } from './mailboxApi';
import type { PhoneSignal } from './usePhoneSignal';

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

/** when says "14:05", "Yesterday 09:12" or "3 Mar 17:40". */
export function when(iso: string): string {
  const d = new Date(iso);
  const today = new Date();
  const y = new Date();
  y.setDate(today.getDate() - 1);
  const same = (a: Date, b: Date) => a.toDateString() === b.toDateString();
  if (same(d, today)) return `Today ${timeFmt.format(d)}`;
  if (same(d, y)) return `Yesterday ${timeFmt.format(d)}`;
  return `${dateFmt.format(d)} ${timeFmt.format(d)}`;
}

function grouped(n: string | null | undefined): string {
  return n && n.length === 12 ? `${n.slice(0, 4)} ${n.slice(4, 8)} ${n.slice(8)}` : (n ?? '');
}

export interface MailboxProps {
  accountId: string;
  signal: PhoneSignal;
  /** callsChanged changes when a call of this device ends, to refresh the history. */
  callsChanged: number;
}

/** Mailbox is the "Messages" card with "Recent calls" under it. */
export function Mailbox({ accountId, signal, callsChanged }: MailboxProps) {
  const id = useId();
  const [messages, setMessages] = useState<VoiceMessage[] | null>(null);
  const [unheard, setUnheard] = useState(0);
  const [error, setError] = useState('');
  const [playing, setPlaying] = useState<string | null>(null);
  const [calls, setCalls] = useState<CallRecord[] | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  const [showAllCalls, setShowAllCalls] = useState(false);
  const seq = useRef(0);
  const asked = useRef(new Set<string>());

  const load = useCallback(async () => {
    const n = ++seq.current;
    try {
      const r = await mailboxApi.list();
      if (n !== seq.current) return;
      setMessages(r.messages);
      setUnheard(r.unheard);
      setError('');
    } catch (e) {
      if (n === seq.current) setError(errorMessage(e));
    }
  }, []);

  const loadCalls = useCallback(async () => {
    try {
      setCalls(await mailboxApi.calls());
    } catch {
      // The history is a convenience; the mailbox error line covers outages.
    }
  }, []);

  // At sign-in and after every reconnect (messages may have come meanwhile).
  useEffect(() => {
    void load();
    void loadCalls();
  }, [accountId, signal.hello, load, loadCalls]);

  useEffect(() => {
    if (callsChanged) void loadCalls();
  }, [callsChanged, loadCalls]);

  // The live message-waiting count.
  useEffect(
    () =>
      signal.onMessage((m: ServerMessage) => {
        if (m.type !== 'mailbox.count' || (m.data.accountId && m.data.accountId !== accountId)) return;
        setUnheard(m.data.unheard);
        void load();
        void loadCalls();
        return true;
      }),
    [signal.onMessage, accountId, load, loadCalls],
  );

  // Names for the numbers in the history, looked up once each.
  useEffect(() => {
    if (!calls) return;
    for (const c of calls) {
      const other = c.callerAccountId === accountId ? c.calleeNumber : c.callerNumber;
      if (!other || asked.current.has(other)) continue;
      asked.current.add(other);
      directoryApi.resolve(other).then(
        (r) => setNames((ns) => ({ ...ns, [other]: r.party.name })),
        () => {},
      );
    }
  }, [calls, accountId]);

  async function play(m: VoiceMessage) {
    setPlaying(m.id);
    if (m.heard) return;
    setMessages((ms) => ms?.map((x) => (x.id === m.id ? { ...x, heard: true } : x)) ?? ms);
    setUnheard((u) => Math.max(0, u - 1));
    try {
      await mailboxApi.mark(m.id, true);
    } catch (e) {
      setError(errorMessage(e));
      void load();
    }
  }

  async function remove(m: VoiceMessage) {
    setMessages((ms) => ms?.filter((x) => x.id !== m.id) ?? ms);
    if (!m.heard) setUnheard((u) => Math.max(0, u - 1));
    if (playing === m.id) setPlaying(null);
    try {
      await mailboxApi.remove(m.id);
    } catch (e) {
      setError(errorMessage(e));
      void load();
    }
  }

  const shownCalls = calls ? (showAllCalls ? calls : calls.slice(0, 6)) : [];

  return (
    <section class="card mailbox-card" aria-labelledby={`${id}-t`}>
      <div class="mailbox-head">
        <h2 class="card-title" id={`${id}-t`}>
          <VoicemailIcon size={20} /> Messages
        </h2>
        <span
          class={`count-badge${unheard ? ' is-new' : ''}`}
          role="status"
          aria-live="polite"
          aria-label={unheard === 1 ? '1 new message' : `${unheard} new messages`}
          data-unheard={unheard}
        >
          {unheard ? `${unheard} new` : 'No new'}
        </span>
      </div>

      {error && (
        <p class="status status-error" role="alert">
          {error}
        </p>
      )}

      {messages === null ? (
        !error && (
          <p class="muted small">
            <span class="spinner spinner-xs" aria-hidden="true" /> Loading your messages…
          </p>
        )
      ) : messages.length === 0 ? (
        <p class="muted small mailbox-empty">
          No messages. When you miss a call, the caller can leave you a voice or video message here.
        </p>
      ) : (
        <ul class="message-list">
          {messages.map((m) => {
            const open = playing === m.id;
            const from = m.fromName || 'Unknown caller';
            return (
              <li key={m.id} class={`message${m.heard ? '' : ' is-unheard'}${open ? ' is-open' : ''}`} data-message={m.id}>
                <div class="message-row">
                  <span class="unheard-dot" aria-hidden="true" />
                  <span class="avatar avatar-sm" aria-hidden="true">
                    {initials(from)}
                  </span>
                  <div class="message-text">
                    <p class="message-from">
                      {from}
                      {!m.heard && <span class="sr-only"> (new)</span>}
                    </p>
                    <p class="muted small">
                      {m.fromDisplay && <span class="mono">{m.fromDisplay} · </span>}
                      {when(m.createdAt)} · {clock(m.durationMs / 1000)}
                    </p>
                  </div>
                  <span class="message-kind" title={m.hasVideo ? 'Video message' : 'Voice message'}>
                    {m.hasVideo ? <VideoIcon size={16} /> : <MicIcon size={16} />}
                    <span class="sr-only">{m.hasVideo ? 'Video message' : 'Voice message'}</span>
                  </span>
                  {!open && (
                    <button
                      type="button"
                      class="icon-btn message-play"
                      aria-label={`Play the message from ${from}`}
                      onClick={() => void play(m)}
                    >
                      <PlayIcon size={16} />
                    </button>
                  )}
                  <button
                    type="button"
                    class="icon-btn message-delete"
                    aria-label={`Delete the message from ${from}`}
                    onClick={() => void remove(m)}
                  >
                    <TrashIcon size={16} />
                  </button>
                </div>
                {open &&
                  (m.hasVideo || m.contentType.startsWith('video/') ? (
                    <video class="message-player" src={m.mediaUrl} controls autoplay playsinline aria-label={`Message from ${from}`} />
                  ) : (
                    <audio class="message-player message-audio" src={m.mediaUrl} controls autoplay aria-label={`Message from ${from}`} />
                  ))}
              </li>
            );
          })}
        </ul>
      )}

      <h3 class="mailbox-sub">Recent calls</h3>
      {calls === null ? null : calls.length === 0 ? (
        <p class="muted small">No calls yet.</p>
      ) : (
        <>
          <ul class="history-list">
            {shownCalls.map((c) => {
              const out = c.callerAccountId === accountId;
              const other = out ? c.calleeNumber : c.callerNumber;
              const name = (other && names[other]) || grouped(other) || 'Unknown';
              const answered = c.outcome === 'answered' || c.answeredAt !== null;
              const toMailbox = !answered && c.outcome !== null && ['no_answer', 'busy', 'offline', 'declined'].includes(c.outcome);
              const left =
                !out &&
                toMailbox &&
                (messages ?? []).some(
                  (m) =>
                    m.fromNumber === c.callerNumber &&
                    Date.parse(m.createdAt) >= Date.parse(c.startedAt) - 1000 &&
                    Date.parse(m.createdAt) <= Date.parse(c.endedAt ?? c.startedAt) + 10_000,
                );
              const lost = c.outcome === 'connection_lost';
              let kind: 'answered' | 'missed' | 'message' | 'outgoing' = out ? 'outgoing' : 'answered';
              let detail: string;
              if (answered) {
                detail = c.durationMs != null ? `${out ? 'Outgoing' : 'Incoming'} · ${clock(c.durationMs / 1000)}` : out ? 'Outgoing' : 'Incoming';
                if (lost) detail += ' · connection lost';
              } else if (c.state !== 'ended') {
                detail = 'In progress';
              } else if (out) {
                detail = toMailbox ? 'Went to their mailbox' : c.outcome === 'cancelled' ? 'Cancelled' : lost ? 'Connection lost' : 'Not connected';
              } else if (left) {
                kind = 'message';
                detail = 'Missed · message left';
              } else {
                kind = 'missed';
                detail = c.outcome === 'declined' ? 'Declined' : lost ? 'Missed · connection lost' : 'Missed';
              }
              return (
                <li key={c.id} class={`history kind-${kind}`} data-outcome={c.outcome ?? ''}>
                  <span class="history-icon" aria-hidden="true">
                    {kind === 'missed' ? (
                      <PhoneMissedIcon size={16} />
                    ) : kind === 'message' ? (
                      <VoicemailIcon size={16} />
                    ) : out ? (
                      <PhoneOutgoingIcon size={16} />
                    ) : (
                      <PhoneIncomingIcon size={16} />
                    )}
                  </span>
                  <div class="message-text">
                    <p class="history-name">{name}</p>
                    <p class="muted small">
                      {detail}
                      {c.video ? ' · video' : ''}
                    </p>
                  </div>
                  <span class="muted small history-when">{when(c.startedAt)}</span>
                </li>
              );
            })}
          </ul>
          {calls.length > 6 && (
            <button type="button" class="btn btn-ghost btn-sm" onClick={() => setShowAllCalls((v) => !v)}>
              {showAllCalls ? 'Show fewer' : `Show all ${calls.length}`}
            </button>
          )}
        </>
      )}
    </section>
  );
}
