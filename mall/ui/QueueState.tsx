// QueueState: how busy a store's sales line is, at a glance: open with agents
// free (green), busy with the current wait (amber), closed when no agent is
// signed in (grey). Servers that do not route calls yet send no queue, and
// then nothing is shown.

import { plural } from './format';
import type { MallStore, StoreQueue } from './shopApi';
import { useLiveStores, type StoreLive } from './liveStores';

/** waitText is a wait estimate in whole minutes, never "0 min". */
export function waitText(seconds: number): string {
  return `~${Math.max(1, Math.round(seconds / 60))} min`;
}

/** queueShort is the two-word state for tight spots: "Open", "~3 min wait", "Closed". */
export function queueShort(q: StoreQueue): string {
  switch (q.state) {
    case 'open':
      return 'Open';
    case 'busy':
      return `${waitText(q.waitSeconds)} wait`;
    default:
      return 'Closed';
  }
}

/** queueLong says the state in a sentence, for labels and screen readers. */
export function queueLong(q: StoreQueue): string {
  switch (q.state) {
    case 'open':
      return q.agentsFree > 0 ? `Open: ${plural(q.agentsFree, 'agent', 'agents')} free to talk now` : 'Open: an agent can talk now';
    case 'busy':
      return `Busy: ${waitText(q.waitSeconds)} wait${q.waiting > 0 ? `, ${plural(q.waiting, 'shopper', 'shoppers')} in line` : ''}`;
    default:
      return 'Closed: no sales agent is signed in';
  }
}

/**
 * openText counts the stores whose sales line is open (an agent signed in)
 * by the same queue state their badges and signs show, so the count and the
 * cards agree: "2 of 7 stores open", "7 stores, none open right now". Without
 * queue states (a server that routes no calls) it only counts the stores.
 */
export function openText(stores: MallStore[]): string {
  const all = plural(stores.length, 'store', 'stores');
  if (!stores.some((s) => s.queue)) return all;
  const open = stores.filter((s) => s.queue && s.queue.state !== 'closed').length;
  if (open === 0) return `${all}, none open right now`;
  return open === stores.length ? `${all}, all open` : `${open} of ${all} open`;
}

/** QueueBadge is the store's sales-line state as a pill. */
export function QueueBadge({ queue, long }: { queue: StoreQueue | undefined; long?: boolean }) {
  if (!queue) return null;
  return (
    <span class={`queue-badge is-${queue.state}`} data-queue-state={queue.state} title={queueLong(queue)}>
      <span class="queue-dot" aria-hidden="true" />
      {long ? queueLong(queue) : queueShort(queue)}
    </span>
  );
}

const signColors: Record<StoreQueue['state'], string> = { open: '#22c55e', busy: '#f59e0b', closed: '#9aa0b8' };

/** signText is the sign's words under a building: the agents free, or the wait and the line, as room allows. */
function signText(q: StoreQueue, room: number): string {
  const fits = (t: string) => 24 + t.length * 6.4 <= room;
  let long = '';
  if (q.state === 'open' && q.agentsFree > 0) long = `Open · ${q.agentsFree} free`;
  if (q.state === 'busy' && q.waiting > 0) long = `${waitText(q.waitSeconds)} · ${q.waiting} in line`;
  return long && fits(long) ? long : queueShort(q);
}

/** QueueSign is the same state drawn in the skyline, centred under a building at (cx, y), at most room wide. */
export function QueueSign({ cx, y, queue, room = 140 }: { cx: number; y: number; queue: StoreQueue | undefined; room?: number }) {
  if (!queue) return null;
  const text = signText(queue, room);
  const w = 24 + text.length * 6.4;
  return (
    <g class={`queue-sign is-${queue.state}`} aria-hidden="true">
      <rect x={cx - w / 2} y={y} width={w} height={17} rx="8.5" fill="#1d2033" opacity="0.92" />
      <circle cx={cx - w / 2 + 10} cy={y + 8.5} r="3.5" fill={signColors[queue.state]} />
      <text x={cx - w / 2 + 18} y={y + 12.5} class="queue-sign-text">
        {text}
      </text>
    </g>
  );
}

/**
 * useLiveStore is one store's live parts (queue, agents online, visitors) as
 * the page's live stream last pushed them, while on is set; undefined before
 * the stream's first event and when the store is not listed.
 */
export function useLiveStore(slug: string, on = true): StoreLive | undefined {
  const live = useLiveStores().get(slug);
  return on ? live : undefined;
}
