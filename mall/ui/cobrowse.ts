// Co-browse, the shopper's side: while a shopper is on a call with a sales
// agent, the agent may ask to see the page (cobrowse.request). The shopper
// sees "<agent> would like to see your screen — Allow / Not now"; nothing is
// recorded or sent before Allow. On Allow the mall page is recorded with
// rrweb and streamed to the agent's desk over the signaling socket
// (cobrowse.start, then cobrowse.events in batches every ~150 ms); "Not now"
// answers cobrowse.stop and the agent may ask again. The agent can point at the page (cobrowse.point,
// shown as a dot by CobrowseBanner) and open a mall page for the shopper
// (cobrowse.navigate, through the mall's router). Either side ends it with
// cobrowse.stop.
//
// Privacy: every input is masked by the recorder (typed text becomes
// "******" whatever its length), so is the text of contenteditable
// elements and every data-* attribute; ticked boxes, chosen radio buttons
// and options are never recorded; payment fields ([data-payment], .payment,
// card autocomplete fields) and hidden inputs are never recorded at all, and
// the server masks and sanitizes again before anything reaches the agent
// (agentdesk/cobrowse_events.go).
//
// Wiring, for the talk session: when a call to a store becomes active with
// an entryId, call startCobrowse(entryId, send, agentName) (it only gets
// ready to be asked); hand every cobrowse.* server message to
// currentCobrowse()?.handle(msg); call stopCobrowse() when the call ends.
// Mount <CobrowseBanner /> once.

import type { eventWithTime } from 'rrweb';
import type { ClientMessage, CobrowseData, ServerMessage } from '../../media/client/protocol';
import { navigate, parseRoute } from './router';

/**
 * CobrowseState is where the sharing stands: ready (nobody asked yet),
 * asked (the shopper sees Allow / Not now), declined (Not now), starting
 * and sharing (after Allow), stopped.
 */
export type CobrowseState = 'ready' | 'asked' | 'declined' | 'starting' | 'sharing' | 'stopped';

/** CobrowseView is what the banner shows. */
export interface CobrowseView {
  entryId: string;
  agentName: string;
  state: CobrowseState;
  /** stoppedBy says who ended the sharing (null while it goes on). */
  stoppedBy: 'shopper' | 'agent' | 'call' | 'error' | null;
  /** pointer is where the agent last pointed, as viewport fractions; at is Date.now() then. */
  pointer: { x: number; y: number; at: number } | null;
  /** opened is the page the agent last opened for the shopper. */
  opened: { path: string; at: number } | null;
}

/** CobrowseSession is one sharing of the page during one engagement. */
export interface CobrowseSession {
  readonly view: CobrowseView;
  /** allow is the shopper's Allow: recording starts. */
  allow(): void;
  /** decline is the shopper's Not now: the agent is told, nothing is recorded. */
  decline(): void;
  /** handle takes a cobrowse.* server message for this engagement; it reports whether it used it. */
  handle(msg: ServerMessage): boolean;
  /** stop ends the recording and tells the agent (unless the agent ended it). */
  stop(by?: CobrowseView['stoppedBy']): void;
  /** subscribe calls fn on every change and returns the unsubscribe. */
  subscribe(fn: (v: CobrowseView) => void): () => void;
  /** renameAgent names the agent who sees the page now: the call was transferred to them. */
  renameAgent(agentName: string): void;
}

/** pathEventTag tags the rrweb custom event that tells the desk the shopper's path. */
export const pathEventTag = 'mall-path';

/** flushEvery is how long events wait to be sent together. */
const flushEvery = 150;
/** maxBatchBytes keeps a message under the server's 48 KiB limit, with room for the envelope. */
const maxBatchBytes = 44 * 1024;
/** maxBatchEvents is under the server's 200 events a message. */
const maxBatchEvents = 150;
/** checkoutEvery takes a fresh full snapshot now and then, so a desk that reloads catches up. */
const checkoutEvery = 20_000;

/**
 * paymentSelector names what is never recorded: rrweb replaces it with an
 * empty box of the same size. Checkout forms mark card fields with
 * data-payment; card autocomplete fields are caught even unmarked.
 */
export const paymentSelector = '[data-payment], .payment, [autocomplete^="cc-"]';

/** maskedText stands for any hidden value, whatever its length (as the server's mask). */
export const maskedText = '******';

/** maskValue hides a value without saying how long it was; empty stays empty. */
export function maskValue(v: string): string {
  return v ? maskedText : '';
}

/** editableSelector names the elements whose text is masked as typed text. */
const editableSelector = '[contenteditable]:not([contenteditable="false" i])';

/**
 * callMedia is the call's own video (the agent's face, the shopper's camera
 * in the call panel): the agent has it live already, and replaying a
 * MediaStream-fed <video> on the desk only makes rrweb's replayer call play()
 * on an element its next snapshot removes ("The play() request was
 * interrupted because the media was removed from the document").
 */
export const callMedia = '.call-stack video, .talk-dock video';

/** unrecorded is everything never recorded: payment fields, hidden inputs (nothing to see, only values to leak), the call's video. */
const unrecorded = `${paymentSelector}, input[type="hidden" i], ${callMedia}`;

/**
 * maskEveryInput masks every input whatever its type (rrweb looks the tag
 * name up first, so `input: true` covers hidden and unlisted types), plus
 * each type by name. The cast is for the keys rrweb's type does not list.
 * It is passed instead of maskAllInputs: true, because rrweb 2.2 then
 * ignores maskInputOptions and uses its own list, which leaves hidden
 * inputs readable (the browser test caught that).
 */
const maskEveryInput = {
  input: true,
  hidden: true,
  password: true,
  text: true,
  email: true,
  tel: true,
  number: true,
  search: true,
  url: true,
  date: true,
  month: true,
  week: true,
  time: true,
  'datetime-local': true,
  color: true,
  range: true,
  textarea: true,
  select: true,
} as Record<string, boolean>;

/** isMallPath accepts what the agent may open: a page of the mall's router, nothing else. */
export function isMallPath(path: string): boolean {
  return (
    typeof path === 'string' &&
    path.length <= 512 &&
    path.startsWith('/') &&
    !path.startsWith('//') &&
    !/[\\?#\s]/.test(path) &&
    parseRoute(path).page !== 'missing'
  );
}

const encoder = new TextEncoder();

/** CobrowseMessage is any cobrowse.* message from the server. */
export interface CobrowseMessage {
  type: 'cobrowse.request' | 'cobrowse.start' | 'cobrowse.events' | 'cobrowse.navigate' | 'cobrowse.point' | 'cobrowse.stop';
  v: number;
  data: CobrowseData;
}

const cobrowseTypes = new Set<string>(['cobrowse.request', 'cobrowse.start', 'cobrowse.events', 'cobrowse.navigate', 'cobrowse.point', 'cobrowse.stop']);

/** isCobrowseMessage tells the cobrowse.* messages apart from the others. */
export function isCobrowseMessage(msg: ServerMessage): msg is ServerMessage & CobrowseMessage {
  return cobrowseTypes.has(msg.type) && typeof msg.data === 'object' && msg.data !== null;
}

/**
 * CobrowseHost holds the page's sharing with an agent: the one in progress or
 * last ended. The mall makes one per page (MallCallProvider) and hands it
 * down through context.
 */
export class CobrowseHost {
  private cur: Session | null = null;
  private readonly watchers = new Set<(s: CobrowseSession | null) => void>();

  private set(s: Session | null) {
    this.cur = s;
    for (const fn of this.watchers) fn(s);
  }

  /** current is the sharing in progress or last ended, or null. */
  get current(): CobrowseSession | null {
    return this.cur;
  }

  /** watch calls fn whenever a new sharing starts; it returns the unsubscribe. */
  watch(fn: (s: CobrowseSession | null) => void): () => void {
    this.watchers.add(fn);
    return () => {
      this.watchers.delete(fn);
    };
  }

  /**
   * start gets the sharing with the agent of engagement entryId ready:
   * nothing is recorded until the agent asks (cobrowse.request) and the
   * shopper presses Allow. A sharing already going on is stopped first.
   */
  start(entryId: string, send: (msg: ClientMessage) => boolean, agentName = 'The sales agent'): CobrowseSession {
    this.cur?.stop('call');
    const s = new Session(entryId, send, agentName);
    this.set(s);
    return s;
  }

  /** stop ends the sharing in progress, if any, because the call ended. */
  stop(): void {
    this.cur?.stop('call');
  }
}

/** firstName is how the consent card names the agent: "Jonas" of "Jonas Berg". */
export function firstName(name: string): string {
  return name.trim().split(/\s+/)[0] || 'The sales agent';
}

/** SNodeLike is a serialized rrweb node, as far as scrubbing needs it. */
interface SNodeLike {
  tagName?: string;
  attributes?: Record<string, unknown>;
  childNodes?: SNodeLike[];
}

/** scrubAttributes masks data-* values and drops ticked and chosen states. */
function scrubAttributes(attrs: Record<string, unknown> | undefined, removed: unknown) {
  if (!attrs) return;
  for (const name of Object.keys(attrs)) {
    const lower = name.toLowerCase();
    if (lower === 'checked' || lower === 'selected') attrs[name] = removed;
    else if (lower.startsWith('data-') && typeof attrs[name] === 'string') attrs[name] = maskValue(attrs[name] as string);
  }
}

/** valueTags hold a typed or chosen value in their value attribute (a radio button's too). */
const valueTags = new Set(['input', 'textarea', 'select', 'option']);

function scrubNode(n: SNodeLike) {
  scrubAttributes(n.attributes, undefined);
  const value = n.attributes?.value;
  if (typeof value === 'string' && valueTags.has((n.tagName ?? '').toLowerCase())) n.attributes!.value = maskValue(value);
  if (n.attributes) for (const k of Object.keys(n.attributes)) if (n.attributes[k] === undefined) delete n.attributes[k];
  for (const c of n.childNodes ?? []) scrubNode(c);
}

/**
 * scrubEvent takes out of an rrweb event what rrweb has no option to mask:
 * data-* attribute values and the values of radio buttons, boxes and
 * options (masked), checked and selected attributes, and the ticked state
 * of boxes and radio buttons (always false). An attribute change's value is
 * masked whatever the element, as the server does. The server does all
 * this again.
 */
export function scrubEvent(e: eventWithTime): eventWithTime {
  const d = e.data as { node?: SNodeLike; source?: number; adds?: { node: SNodeLike }[]; attributes?: { attributes: Record<string, unknown> }[]; isChecked?: boolean; text?: string };
  if (e.type === 2 && d.node) scrubNode(d.node);
  if (e.type === 3 && d.source === 0) {
    for (const a of d.adds ?? []) scrubNode(a.node);
    for (const ch of d.attributes ?? []) {
      scrubAttributes(ch.attributes, null);
      if (typeof ch.attributes?.value === 'string') ch.attributes.value = maskValue(ch.attributes.value);
    }
  }
  if (e.type === 3 && d.source === 5) {
    if (typeof d.isChecked === 'boolean') d.isChecked = false;
    if (typeof d.text === 'string') d.text = maskValue(d.text);
  }
  return e;
}

/** maxEventBytes is the size splitEvent aims each part at, leaving room in a batch. */
const maxEventBytes = maxBatchBytes - 2048;

function byteSize(x: unknown): number {
  return encoder.encode(JSON.stringify(x)).length;
}

/** SNode is rrweb-snapshot's serialized node, as far as splitting needs it. */
interface SNode {
  type: number;
  id: number;
  childNodes?: SNode[];
  [field: string]: unknown;
}

/** MutationAdd is one node added by an rrweb mutation. */
interface MutationAdd {
  parentId: number;
  nextId: number | null;
  node: SNode;
}

/** MutationData is an rrweb mutation (IncrementalSource.Mutation = 0). */
interface MutationData {
  source: 0;
  texts: unknown[];
  attributes: unknown[];
  removes: unknown[];
  adds: MutationAdd[];
}

/**
 * splitEvent cuts an event too large for one message into several that
 * replay the same: a full snapshot becomes the document's skeleton (html,
 * head and body, empty) followed by mutations adding every other node in
 * document order; a mutation becomes several, its adds in their order (a
 * node's parent and next sibling always come first, as rrweb orders them),
 * its removes in the first and its text and attribute changes in the last.
 * Anything else comes back whole.
 */
export function splitEvent(e: eventWithTime, limit: number): eventWithTime[] {
  const mutation = (adds: MutationAdd[], rest: Partial<MutationData> = {}): eventWithTime =>
    ({ type: 3, timestamp: e.timestamp, data: { source: 0, texts: [], attributes: [], removes: [], adds, ...rest } }) as unknown as eventWithTime;
  const chunk = (adds: MutationAdd[]): MutationAdd[][] => {
    const out: MutationAdd[][] = [[]];
    let size = 0;
    for (const a of adds) {
      const n = byteSize(a) + 1;
      if (size + n > limit && out[out.length - 1].length > 0) {
        out.push([]);
        size = 0;
      }
      out[out.length - 1].push(a);
      size += n;
    }
    return out;
  };

  if (e.type === 2) {
    const data = e.data as unknown as { node: SNode; initialOffset: unknown };
    const adds: MutationAdd[] = [];
    const flatten = (parent: SNode) => {
      for (const child of parent.childNodes ?? []) {
        adds.push({ parentId: parent.id, nextId: null, node: { ...child, ...(child.childNodes ? { childNodes: [] } : {}) } });
        flatten(child);
      }
    };
    const shell = (n: SNode): SNode => ({ ...n, ...(n.childNodes ? { childNodes: [] } : {}) });
    const root = data.node;
    const skeleton: SNode = {
      ...root,
      childNodes: (root.childNodes ?? []).map((top) => {
        if (!top.childNodes) return top;
        // <html>: keep its children (head, body), emptied.
        return { ...top, childNodes: top.childNodes.map(shell) };
      }),
    };
    for (const top of root.childNodes ?? []) for (const section of top.childNodes ?? []) flatten(section);
    if (adds.length === 0) return [e];
    const first = { ...e, data: { ...data, node: skeleton } } as eventWithTime;
    return [first, ...chunk(adds).map((part) => mutation(part))];
  }

  const d = e.data as unknown as Partial<MutationData>;
  if (e.type === 3 && d.source === 0 && Array.isArray(d.adds) && d.adds.length > 1) {
    const parts = chunk(d.adds);
    if (parts.length === 1) return [e];
    return parts.map((part, i) =>
      mutation(part, {
        removes: i === 0 ? (d.removes ?? []) : [],
        texts: i === parts.length - 1 ? (d.texts ?? []) : [],
        attributes: i === parts.length - 1 ? (d.attributes ?? []) : [],
      }),
    );
  }
  return [e];
}

class Session implements CobrowseSession {
  view: CobrowseView;
  private readonly listeners = new Set<(v: CobrowseView) => void>();
  private stopRecording: (() => void) | null = null;
  private takeFullSnapshot: (() => void) | null = null;
  private untellPath: (() => void) | null = null;
  private batch: eventWithTime[] = [];
  private batchBytes = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** lost is set when a send failed: the agent needs start and a fresh snapshot again. */
  private lost = false;

  constructor(
    entryId: string,
    private readonly send: (msg: ClientMessage) => boolean,
    agentName: string,
  ) {
    this.view = { entryId, agentName, state: 'ready', stoppedBy: null, pointer: null, opened: null };
  }

  private set(p: Partial<CobrowseView>) {
    this.view = { ...this.view, ...p };
    for (const fn of this.listeners) fn(this.view);
  }

  /** renameAgent names the agent who sees the page now: the call was transferred to them. */
  renameAgent(agentName: string) {
    if (agentName && agentName !== this.view.agentName) this.set({ agentName });
  }

  subscribe(fn: (v: CobrowseView) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  allow() {
    if (this.view.state !== 'asked') return;
    this.set({ state: 'starting', stoppedBy: null });
    void this.begin();
  }

  decline() {
    if (this.view.state !== 'asked') return;
    this.send({ type: 'cobrowse.stop', data: { entryId: this.view.entryId } });
    this.set({ state: 'declined' });
  }

  private async begin() {
    // rrweb loads only when a shopper shares: a shopper who only browses
    // never downloads it.
    const { record, takeFullSnapshot, addCustomEvent } = await import('rrweb');
    if (this.view.state !== 'starting') return;
    this.lost = !this.send({ type: 'cobrowse.start', data: { entryId: this.view.entryId } });
    this.stopRecording =
      record({
        emit: (e) => this.add(scrubEvent(e as eventWithTime)),
        maskInputOptions: maskEveryInput,
        maskInputFn: maskValue,
        maskTextSelector: editableSelector,
        maskTextFn: maskValue,
        blockClass: 'payment',
        blockSelector: unrecorded,
        // The desk loads the mall's stylesheets itself (same origin):
        // inlining them would blow the message size.
        inlineStylesheet: false,
        slimDOMOptions: 'all',
        recordCanvas: false,
        collectFonts: false,
        checkoutEveryNms: checkoutEvery,
        sampling: { mousemove: 50, scroll: 150, input: 'last', media: 800 },
      }) ?? null;
    this.takeFullSnapshot = () => takeFullSnapshot(true);
    // The desk shows which page the shopper is on; the mall's router moves
    // without reloading, so say it on every move (router.ts dispatches
    // livemall:navigate, the back button popstate).
    const tellPath = () => addCustomEvent(pathEventTag, { path: location.pathname });
    tellPath();
    addEventListener('popstate', tellPath);
    addEventListener('livemall:navigate', tellPath);
    this.untellPath = () => {
      removeEventListener('popstate', tellPath);
      removeEventListener('livemall:navigate', tellPath);
    };
    this.timer = setInterval(() => this.flush(), flushEvery);
    this.set({ state: 'sharing' });
  }

  private add(e: eventWithTime) {
    const size = byteSize(e);
    if (size > maxBatchBytes) {
      // A page (or a page change) too large for one message goes out as
      // several events that rebuild it in order.
      const parts = splitEvent(e, maxEventBytes);
      if (parts.length > 1) {
        for (const part of parts) this.add(part);
        return;
      }
      // One node larger than a message: the server would refuse it.
      console.warn(`co-browse: an event of ${size} bytes is too large to share`);
      return;
    }
    if (this.batchBytes + size > maxBatchBytes || this.batch.length >= maxBatchEvents) this.flush();
    this.batch.push(e);
    this.batchBytes += size + 1;
  }

  private flush() {
    if (this.lost) {
      // The socket dropped: tell the agent again and start from a full
      // snapshot, since what was in between is gone.
      if (!this.send({ type: 'cobrowse.start', data: { entryId: this.view.entryId } })) return;
      this.lost = false;
      this.batch = [];
      this.batchBytes = 0;
      this.takeFullSnapshot?.();
    }
    if (this.batch.length === 0) return;
    const events = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    if (!this.send({ type: 'cobrowse.events', data: { entryId: this.view.entryId, events } })) this.lost = true;
  }

  handle(msg: ServerMessage): boolean {
    if (!isCobrowseMessage(msg) || msg.data?.entryId !== this.view.entryId) return false;
    const d = msg.data;
    if (msg.type === 'cobrowse.request') {
      // Asked (again): the shopper decides. While sharing, the desk has
      // lost the view (a reload): start it over with a fresh snapshot.
      if (this.view.state === 'sharing') this.lost = true;
      else if (this.view.state !== 'starting') this.set({ state: 'asked', stoppedBy: null, pointer: null });
      return true;
    }
    if (this.view.state !== 'sharing' && this.view.state !== 'starting') {
      // The agent withdrew the request before the shopper answered.
      if (msg.type === 'cobrowse.stop' && this.view.state === 'asked') this.set({ state: 'ready' });
      return true;
    }
    switch (msg.type) {
      case 'cobrowse.point':
        if (typeof d.x === 'number' && typeof d.y === 'number' && d.x >= 0 && d.x <= 1 && d.y >= 0 && d.y <= 1) {
          this.set({ pointer: { x: d.x, y: d.y, at: Date.now() } });
        }
        break;
      case 'cobrowse.navigate':
        if (typeof d.path === 'string' && isMallPath(d.path)) {
          navigate(d.path);
          this.set({ opened: { path: d.path, at: Date.now() } });
        }
        break;
      case 'cobrowse.stop':
        this.stop('agent');
        break;
    }
    return true;
  }

  stop(by: CobrowseView['stoppedBy'] = 'shopper') {
    if (this.view.state === 'stopped') return;
    if (this.view.state !== 'starting' && this.view.state !== 'sharing') {
      // Nothing was shared: the call ended or the agent gave up asking.
      this.set({ state: 'stopped', stoppedBy: by === 'call' ? 'call' : by, pointer: null });
      return;
    }
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.untellPath?.();
    this.untellPath = null;
    this.stopRecording?.();
    this.stopRecording = null;
    this.batch = [];
    if (by !== 'agent') this.send({ type: 'cobrowse.stop', data: { entryId: this.view.entryId } });
    this.set({ state: 'stopped', stoppedBy: by, pointer: null });
  }
}
