// Directory: every listed member with a live online light and a Call button.
// Search (names and number prefixes) is debounced; interest and "online only"
// filter on the server; "Load more" follows nextCursor. Lights move with the
// signaling socket's presence events, without reloading.

import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { PhoneIcon, CloseIcon } from '../../backend/web/ui/icons';
import { digitsOf } from '../../backend/web/ui/numbers';
import { errorMessage, initials } from '../../backend/web/ui/session';
import type { CallMode } from '../../media/client/call';
import type { CallTarget } from './CallPanel';
import { directoryApi, type Member } from './directoryApi';
import { Light } from './Light';
import { TableHead } from '../../backend/web/ui/TableHead';
import type { PhoneSignal } from './usePhoneSignal';

const pageSize = 20;

/** useDebounced returns value once it has stopped changing for ms. */
function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/** searchTerm sends number-looking input as bare digits, names as typed. */
function searchTerm(q: string): string {
  const t = q.trim();
  return /^[\d\s.\-]+$/.test(t) ? digitsOf(t) : t;
}

export interface DirectoryProps {
  accountId: string;
  signal: PhoneSignal;
  onCall(t: CallTarget): void;
  /** mode is how a Call button calls (chosen on the dial pad). */
  mode: CallMode;
  /** myInterests seed the interest filter's suggestions. */
  myInterests: string[];
}

/** Directory is the members table with its search and filters. */
export function Directory({ accountId, signal, onCall, mode, myInterests }: DirectoryProps) {
  const id = useId();
  const [q, setQ] = useState('');
  const [interest, setInterest] = useState('');
  const [online, setOnline] = useState(false);
  const [members, setMembers] = useState<Member[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [more, setMore] = useState(false);
  const [error, setError] = useState('');
  const [reload, setReload] = useState(0);
  const seq = useRef(0);
  const dq = useDebounced(searchTerm(q), 250);
  const di = useDebounced(interest.trim(), 250);
  const filters = useRef({ online });
  filters.current = { online };

  useEffect(() => {
    const n = ++seq.current;
    setLoading(true);
    setError('');
    directoryApi.list({ q: dq, interest: di, online, limit: pageSize }).then(
      (page) => {
        if (n !== seq.current) return;
        setMembers(page.members);
        setCursor(page.nextCursor);
        setLoading(false);
      },
      (e: unknown) => {
        if (n !== seq.current) return;
        setError(errorMessage(e));
        setLoading(false);
      },
    );
  }, [dq, di, online, reload]);

  // The socket reconnected: presence may have moved while it was down.
  const helloNode = signal.hello;
  const firstHello = useRef(true);
  useEffect(() => {
    if (!helloNode) return;
    if (firstHello.current) {
      firstHello.current = false;
      return;
    }
    setReload((r) => r + 1);
  }, [helloNode]);

  // Live lights.
  const refetch = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    const off = signal.onPresence((p) => {
      let known = false;
      setMembers((ms) =>
        ms.map((m) => {
          if (m.accountId !== p.accountId) return m;
          known = true;
          return m.state === p.state ? m : { ...m, state: p.state };
        }),
      );
      // With "online only", someone coming online belongs in the list.
      if (!known && filters.current.online && p.state !== 'offline' && refetch.current === null) {
        refetch.current = setTimeout(() => {
          refetch.current = null;
          setReload((r) => r + 1);
        }, 400);
      }
    });
    return () => {
      off();
      if (refetch.current !== null) clearTimeout(refetch.current);
      refetch.current = null;
    };
  }, [signal.onPresence]);

  async function loadMore() {
    if (!cursor) return;
    const n = seq.current;
    setMore(true);
    try {
      const page = await directoryApi.list({ q: dq, interest: di, online, cursor, limit: pageSize });
      if (n !== seq.current) return;
      setMembers((ms) => {
        const seen = new Set(ms.map((m) => m.accountId));
        return [...ms, ...page.members.filter((m) => !seen.has(m.accountId))];
      });
      setCursor(page.nextCursor);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setMore(false);
    }
  }

  const interestOptions = [...new Set([...myInterests, ...members.flatMap((m) => m.interests)])].sort();
  const filtered = Boolean(dq || di || online);
  const liveText =
    signal.state === 'open' ? 'Live' : signal.state === 'reconnecting' ? 'Reconnecting…' : 'Connecting…';

  return (
    <section class="card directory-card" aria-labelledby={`${id}-t`}>
      <div class="directory-head">
        <div>
          <h2 class="card-title" id={`${id}-t`}>
            Directory
          </h2>
          <p class="muted small">Every listed member, with their light on when they are online.</p>
        </div>
        <span class={`live-pill live-${signal.state}`} role="status" title="Online lights update live">
          <span class="live-dot" aria-hidden="true" />
          {liveText}
        </span>
      </div>

      <div class="directory-filters" role="search">
        <div class="field field-search">
          <label for={`${id}-q`}>Search</label>
          <input
            id={`${id}-q`}
            type="search"
            placeholder="Name or number"
            value={q}
            onInput={(e) => setQ(e.currentTarget.value)}
            autocomplete="off"
          />
        </div>
        <div class="field field-interest">
          <label for={`${id}-i`}>Interest</label>
          <div class="input-with-clear">
            <input
              id={`${id}-i`}
              type="text"
              list={`${id}-il`}
              placeholder="Any"
              value={interest}
              onInput={(e) => setInterest(e.currentTarget.value)}
              autocomplete="off"
            />
            {interest && (
              <button type="button" class="input-clear" aria-label="Clear interest filter" onClick={() => setInterest('')}>
                <CloseIcon size={14} />
              </button>
            )}
          </div>
          <datalist id={`${id}-il`}>
            {interestOptions.map((i) => (
              <option key={i} value={i} />
            ))}
          </datalist>
        </div>
        <label class="switch switch-inline">
          <input type="checkbox" role="switch" checked={online} onChange={(e) => setOnline(e.currentTarget.checked)} />
          <span class="switch-track" aria-hidden="true">
            <span class="switch-thumb" />
          </span>
          <span>Online only</span>
        </label>
      </div>

      {error && (
        <p class="status status-error" role="alert">
          {error}{' '}
          <button type="button" class="btn btn-ghost btn-sm" onClick={() => setReload((r) => r + 1)}>
            Try again
          </button>
        </p>
      )}

      <div class="table-wrap" aria-busy={loading}>
        <table class="directory-table">
          <caption class="sr-only">Members{filtered ? ' matching your filters' : ''}</caption>
          <TableHead
            columns={[
              { label: 'Status' },
              { label: 'Name' },
              { label: 'Number', class: 'col-number' },
              { label: 'Interests', class: 'col-interests' },
              { label: 'Call', srOnly: true },
            ]}
          />
          <tbody>
            {members.map((m) => {
              const me = m.accountId === accountId;
              return (
                <tr key={m.accountId} data-account={m.accountId} data-state={m.state} class={me ? 'is-me' : undefined}>
                  <td class="col-state">
                    <Light state={m.state} />
                  </td>
                  <th scope="row" class="col-name">
                    <span class="avatar avatar-sm" aria-hidden="true">
                      {initials(m.name)}
                    </span>
                    <span class="member-name">{m.name}</span>
                    {me && <span class="badge">you</span>}
                    <span class="name-number mono" aria-hidden="true">
                      {m.display}
                    </span>
                  </th>
                  <td class="col-number mono">{m.display}</td>
                  <td class="col-interests">
                    {m.interests.length > 0 ? (
                      <span class="chips chips-inline">
                        {m.interests.map((i) => (
                          <button
                            key={i}
                            type="button"
                            class="chip chip-link"
                            title={`Show members interested in ${i}`}
                            onClick={() => setInterest(i)}
                          >
                            {i}
                          </button>
                        ))}
                      </span>
                    ) : (
                      <span class="muted small">—</span>
                    )}
                  </td>
                  <td class="col-call">
                    <button
                      type="button"
                      class="btn btn-call btn-sm"
                      disabled={me}
                      aria-label={me ? 'This is you' : `Call ${m.name}`}
                      title={me ? undefined : `${mode === 'video' ? 'Video call' : mode === 'voice' ? 'Voice call' : 'Call behind your avatar'} (choose on the dial pad)`}
                      onClick={() => onCall({ name: m.name, number: m.number, display: m.display, state: m.state })}
                    >
                      <PhoneIcon size={16} />
                      Call
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {members.length > 0 && (
          <p class="light-legend" aria-hidden="true">
            {(['available', 'away', 'busy', 'push', 'offline'] as const).map((st) => (
              <Light key={st} state={st} />
            ))}
          </p>
        )}
        {loading && members.length === 0 && (
          <div class="table-empty">
            <span class="spinner" aria-hidden="true" /> Loading the directory…
          </div>
        )}
        {!loading && !error && members.length === 0 && (
          <div class="table-empty">
            {filtered ? (
              <>
                <p>
                  <strong>No members match.</strong>{' '}
                  {online ? 'Nobody matching is online right now.' : 'Try another name, number or interest.'}
                </p>
                <button
                  type="button"
                  class="btn btn-secondary btn-sm"
                  onClick={() => {
                    setQ('');
                    setInterest('');
                    setOnline(false);
                  }}
                >
                  Clear filters
                </button>
              </>
            ) : (
              <p>No members are listed yet. Invite a friend below.</p>
            )}
          </div>
        )}
      </div>

      {cursor && (
        <div class="load-more">
          <button type="button" class="btn btn-secondary" onClick={loadMore} disabled={more}>
            {more ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </section>
  );
}
