// StoreMailbox: messages shoppers left for the store when nobody could take
// their call. Staff play them (video or audio), mark them heard and call a
// member back on their number.

import { useEffect, useRef, useState } from 'preact/hooks';
import { PhoneIcon, PlayIcon, VoicemailIcon } from '../../backend/web/ui/icons';
import { errorMessage } from '../../backend/web/ui/session';
import { shopperName } from './CallContext';
import { clock, deskApi, type StoreMessage } from './deskApi';

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

/** when says "14:05" for today and "3 Mar" before. */
function when(iso: string): string {
  const d = new Date(iso);
  return d.toDateString() === new Date().toDateString() ? timeFmt.format(d) : dayFmt.format(d);
}

export interface StoreMailboxProps {
  /** version changes when the mailbox may have changed. */
  version: number;
  /** canCall is false while a call is in progress. */
  canCall: boolean;
  onCallBack(number: string, name: string, display?: string): void;
}

/** StoreMailbox is the mailbox tile of the desk. */
export function StoreMailbox({ version, canCall, onCallBack }: StoreMailboxProps) {
  const [messages, setMessages] = useState<StoreMessage[] | null>(null);
  const [playing, setPlaying] = useState<string | null>(null);
  const [error, setError] = useState('');
  const seq = useRef(0);

  async function load() {
    const n = ++seq.current;
    try {
      const r = await deskApi.mailbox();
      if (n !== seq.current) return;
      setMessages(r.messages ?? []);
      setError('');
    } catch (e) {
      if (n === seq.current) setError(errorMessage(e));
    }
  }

  useEffect(() => {
    void load();
    // Messages also arrive between queue changes: look again now and then.
    const t = setInterval(() => void load(), 30_000);
    return () => clearInterval(t);
  }, [version]);

  async function heard(id: string) {
    const at = new Date().toISOString();
    setMessages((ms) => ms?.map((m) => (m.id === id ? { ...m, heardAt: m.heardAt ?? at } : m)) ?? ms);
    try {
      await deskApi.markHeard(id);
    } catch (e) {
      setError(errorMessage(e));
      void load();
    }
  }

  const list = messages ?? [];
  const unheard = list.filter((m) => !m.heardAt).length;
  return (
    <section class="tile desk-mailbox" aria-labelledby="mailbox-title" data-testid="store-mailbox">
      <div class="tile-head">
        <VoicemailIcon size={20} />
        <h2 id="mailbox-title">Messages</h2>
        {unheard > 0 && <span class="count-pill">{unheard} new</span>}
      </div>
      {error && <p class="status status-error small">{error}</p>}
      {messages === null && !error ? (
        <p class="muted small">Loading…</p>
      ) : list.length === 0 ? (
        <>
          <p class="tile-big">No messages</p>
          <p class="muted small">Shoppers who could not reach an agent can leave the store a message.</p>
        </>
      ) : (
        <ul class="msg-list">
          {list.map((m) => {
            const name = shopperName(m.fromName);
            return (
              <li key={m.id} class={`msg${m.heardAt ? '' : ' is-unheard'}`} data-message={m.id} data-heard={m.heardAt ? 'true' : 'false'}>
                <div class="msg-row">
                  <button
                    type="button"
                    class="icon-btn msg-play"
                    aria-label={`Play the message from ${name}`}
                    aria-expanded={playing === m.id}
                    onClick={() => setPlaying(playing === m.id ? null : m.id)}
                  >
                    <PlayIcon size={16} />
                  </button>
                  <span class="msg-who">
                    <span class="msg-name">{name}</span>
                    <span class="muted small">
                      {when(m.createdAt)} · {clock(m.durationMs / 1000)}
                      {m.hasVideo ? ' · video' : ''}
                      {m.product ? ` · ${m.product.name}` : ''}
                    </span>
                  </span>
                  {m.fromNumber && (
                    <button
                      type="button"
                      class="btn btn-secondary btn-sm"
                      disabled={!canCall}
                      onClick={() => onCallBack(m.fromNumber!, name, m.fromDisplay)}
                    >
                      <PhoneIcon size={14} /> Call back
                    </button>
                  )}
                </div>
                {playing === m.id && (
                  <div class="msg-player">
                    {m.hasVideo ? (
                      <video src={deskApi.mediaURL(m.id)} controls autoplay playsinline onEnded={() => void heard(m.id)} />
                    ) : (
                      <audio src={deskApi.mediaURL(m.id)} controls autoplay onEnded={() => void heard(m.id)} />
                    )}
                    {!m.heardAt && (
                      <button type="button" class="btn btn-ghost btn-sm" onClick={() => void heard(m.id)}>
                        Mark heard
                      </button>
                    )}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
