// Whiteboard: the shared board of an engagement (agentdesk/whiteboard.go),
// the same on the agent's desk and in the shopper's mall.
//
//   const board = useLiveBoard(entryId, send, onMessage);   // or a LiveBoard kept elsewhere
//   <Whiteboard items={board.items} me="agent" names={{ shopper: 'Sam' }}
//               draw={board.draw} erase={board.erase} error={board.error} products={catalog} />
//   <Whiteboard items={items} me="shopper" />                // read-only: no draw, no erase
//
// The board is an SVG with a 4:3 viewBox that scales to its container; item
// positions are fractions 0–1 of the board. Nothing drawn here is shown as
// stored until the server echoes it as board.item to both parties: a stroke
// in progress is drawn locally until its echo arrives, so both boards always
// hold the same items in the same order.

import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { BoardDrawData, BoardItem, BoardProduct, ClientMessage, ServerMessage } from '../../../media/client/protocol';
import { api } from './api';
import { Svg } from './icons';
import { errorMessage } from './session';
import './whiteboard.css';

/** boardW and boardH are the board's own units (4:3); items are stored as fractions of them. */
const boardW = 800;
const boardH = 600;
/** maxPoints is the server's limit of points per stroke. */
const maxPoints = 1000;
/** cardW and cardH size a product card in board units. */
const cardW = 208;
const cardH = 76;

/** BoardParty is who drew an item. */
export type BoardParty = BoardItem['author'];

/** BoardDraw is a board.draw without its entryId (the board adds it). */
export type BoardDraw = Omit<BoardDrawData, 'entryId'>;

/** BoardProductChoice is a product the product tool may drop. */
export interface BoardProductChoice {
  sku: string;
  name: string;
}

/** BoardSnapshot is a board as the server answers GET /boards/{entry} and GET /orders/{id}/board. */
export interface BoardSnapshot {
  entryId: string;
  store: { slug: string; name: string };
  items: BoardItem[];
}

/** boardColors are the pen's swatches: ink, violet, red, green, amber. */
export const boardColors = [
  { value: '#1f2340', name: 'Ink' },
  { value: '#5b3df5', name: 'Violet' },
  { value: '#d92d4b', name: 'Red' },
  { value: '#0f8a5f', name: 'Green' },
  { value: '#e08a00', name: 'Amber' },
] as const;

/** boardTypes are the server messages a board follows. */
const boardTypes = new Set<string>(['board.item', 'board.erased']);

/** sentence makes a server message read as a sentence on screen. */
function sentence(s: string): string {
  const t = s.trim();
  if (!t) return t;
  const c = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(c) ? c : `${c}.`;
}

/** BoardView is what a LiveBoard shows now. */
export interface BoardView {
  entryId: string;
  items: BoardItem[];
  /** store is the engagement's store, once the board has loaded. */
  store: { slug: string; name: string } | null;
  loaded: boolean;
  /** error is why the server refused the last thing sent, or why the board did not load. */
  error: string;
}

/** errorWindow is how long after a board message an error from the server is taken as its answer, in ms. */
const errorWindow = 4000;

/**
 * LiveBoard follows one engagement's board: it loads what is stored, adds
 * every board.item and drops every board.erased of its entry (whichever
 * came first), and sends board.draw / board.erase. Feed it every server
 * message with handle(); call load() again after a reconnect.
 */
export class LiveBoard {
  private view: BoardView;
  private readonly listeners = new Set<(v: BoardView) => void>();
  /** erased are the items erased live, so a load answered late does not bring them back. */
  private readonly erased = new Set<number>();
  private sentAt = 0;
  private loads = 0;

  constructor(
    entryId: string,
    private readonly send: (m: ClientMessage) => boolean,
  ) {
    this.view = { entryId, items: [], store: null, loaded: false, error: '' };
  }

  /** current is the board now. */
  get current(): BoardView {
    return this.view;
  }

  /** subscribe calls fn after every change and returns the unsubscribe. */
  subscribe(fn: (v: BoardView) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  private set(p: Partial<BoardView>) {
    this.view = { ...this.view, ...p };
    for (const fn of this.listeners) fn(this.view);
  }

  /** load reads the stored board and merges it with what arrived live. */
  async load(): Promise<void> {
    const n = ++this.loads;
    try {
      const b = await api.get<BoardSnapshot>(`/boards/${encodeURIComponent(this.view.entryId)}`);
      if (n !== this.loads) return;
      this.set({ items: mergeItems(this.view.items, b.items ?? [], this.erased), store: b.store ?? null, loaded: true, error: '' });
    } catch (e) {
      if (n === this.loads) this.set({ loaded: true, error: errorMessage(e) });
    }
  }

  /** handle takes a server message; it reports whether it was about this board. */
  handle(m: ServerMessage): boolean {
    if (m.type === 'error') {
      // An error names the message it answers; older servers did not, so
      // one soon after a board message is taken as its answer.
      const mine = m.data?.for ? m.data.for.startsWith('board.') : Date.now() - this.sentAt < errorWindow;
      if (mine && m.data?.message) {
        this.sentAt = 0;
        this.set({ error: sentence(m.data.message) });
      }
      return false;
    }
    if (!boardTypes.has(m.type)) return false;
    if (m.type === 'board.item') {
      const d = m.data;
      if (!d || d.entryId !== this.view.entryId || !d.item || typeof d.item.id !== 'number') return false;
      this.set({ items: mergeItems(this.view.items, [d.item], this.erased), error: '' });
      return true;
    }
    if (m.type === 'board.erased') {
      const d = m.data;
      if (!d || d.entryId !== this.view.entryId) return false;
      this.erased.add(d.itemId);
      this.set({ items: this.view.items.filter((i) => i.id !== d.itemId) });
      return true;
    }
    return false;
  }

  /** draw sends a stroke, a text or a product card; false when the socket is not open. */
  draw(d: BoardDraw): boolean {
    this.sentAt = Date.now();
    const ok = this.send({ type: 'board.draw', data: { ...d, entryId: this.view.entryId } });
    this.set({ error: ok ? '' : 'Not connected: what you drew was not sent. Try again in a moment.' });
    return ok;
  }

  /** erase asks the server to erase an item; false when the socket is not open. */
  erase(itemId: number): boolean {
    this.sentAt = Date.now();
    const ok = this.send({ type: 'board.erase', data: { entryId: this.view.entryId, itemId } });
    this.set({ error: ok ? '' : 'Not connected: nothing was erased. Try again in a moment.' });
    return ok;
  }
}

/** mergeItems adds items not held yet (by id) and keeps the server's order (ids grow). */
export function mergeItems(have: BoardItem[], add: BoardItem[], erased?: Set<number>): BoardItem[] {
  const byId = new Map(have.map((i) => [i.id, i]));
  let changed = false;
  for (const i of add) {
    if (erased?.has(i.id) || byId.has(i.id)) continue;
    byId.set(i.id, i);
    changed = true;
  }
  if (!changed) return have;
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** useBoardView follows a LiveBoard (or nothing while board is null). */
export function useBoardView(board: LiveBoard | null): BoardView | null {
  const [v, setV] = useState<BoardView | null>(board?.current ?? null);
  useEffect(() => {
    setV(board?.current ?? null);
    return board?.subscribe(setV);
  }, [board]);
  return v;
}

/**
 * useLiveBoard keeps a LiveBoard for entryId on a socket given as a sender
 * and a listener registry (the desk's DeskSignal fits): loaded at once and
 * again after every reconnect (hello).
 */
export function useLiveBoard(
  entryId: string,
  send: (m: ClientMessage) => boolean,
  onMessage: (fn: (m: ServerMessage) => void) => () => void,
): { board: LiveBoard; view: BoardView } {
  const board = useMemo(() => new LiveBoard(entryId, send), [entryId, send]);
  useEffect(() => {
    void board.load();
    return onMessage((m) => {
      if (m.type === 'hello') void board.load();
      else board.handle(m);
    });
  }, [board, onMessage]);
  const view = useBoardView(board) ?? board.current;
  return { board, view };
}

/** Tool is what a pointer on the board does. */
type Tool = 'pen' | 'text' | 'product' | 'eraser';

/** Pending is a stroke sent and not echoed yet. */
interface Pending {
  key: number;
  points: [number, number][];
  color: string;
  width: number;
}

export interface WhiteboardProps {
  items: BoardItem[];
  /** me is the party looking at this board; their items are called "you". */
  me: BoardParty;
  /** names name the parties in tooltips, e.g. { agent: 'Ana', shopper: 'Sam' }. */
  names?: Partial<Record<BoardParty, string>>;
  /** draw sends an item; without it (and erase) the board is read-only. */
  draw?(d: BoardDraw): boolean;
  erase?(itemId: number): boolean;
  /** products are what the product tool may drop; without them there is no product tool. */
  products?: BoardProductChoice[];
  /** error is the server's last refusal, shown under the board. */
  error?: string;
  /** label names the board for screen readers. */
  label?: string;
  /** onProductClick may take over a product card's link (the mall's router). */
  onProductClick?(path: string, e: MouseEvent): void;
  /** productTarget is the product links' target (the desk opens the mall in a new tab). */
  productTarget?: string;
  /** empty is what an empty board says. */
  empty?: string;
}

/** Whiteboard draws a board's items and, unless read-only, its tools. */
export function Whiteboard(props: WhiteboardProps) {
  const { items, me, names = {}, draw, erase, products = [], error, label = 'Whiteboard' } = props;
  const editable = !!draw;
  const [tool, setTool] = useState<Tool>('pen');
  const [color, setColor] = useState<string>(boardColors[0].value);
  const [sku, setSku] = useState('');
  const [live, setLive] = useState<[number, number][] | null>(null);
  const [pending, setPending] = useState<Pending[]>([]);
  const [typing, setTyping] = useState<{ x: number; y: number } | null>(null);
  const typingRef = useRef<{ x: number; y: number } | null>(null);
  const [text, setText] = useState('');
  const svg = useRef<SVGSVGElement>(null);
  const stroke = useRef<[number, number][] | null>(null);
  const seen = useRef(new Set<number>());
  const keyed = useRef(0);

  const productTool = editable && products.length > 0;
  useEffect(() => {
    if (!sku && products.length > 0) setSku(products[0].sku);
  }, [products, sku]);

  // A stroke of mine arriving from the server replaces the oldest one in flight.
  useEffect(() => {
    const fresh = items.filter((i) => !seen.current.has(i.id));
    for (const i of items) seen.current.add(i.id);
    const mine = fresh.filter((i) => i.kind === 'stroke' && i.author === me).length;
    if (mine > 0) setPending((p) => p.slice(mine));
  }, [items, me]);
  // A refused stroke never echoes: let it go with the error.
  useEffect(() => {
    if (error) setPending([]);
  }, [error]);

  function at(e: PointerEvent | MouseEvent): [number, number] {
    const r = svg.current!.getBoundingClientRect();
    const x = Math.min(1, Math.max(0, (e.clientX - r.left) / r.width));
    const y = Math.min(1, Math.max(0, (e.clientY - r.top) / r.height));
    return [x, y];
  }

  function down(e: PointerEvent) {
    if (!editable || e.button !== 0) return;
    const p = at(e);
    // A product card's link stays a link for the pen and the text tools.
    if (tool !== 'product' && tool !== 'eraser' && (e.target as Element).closest?.('.wb-card')) return;
    if (tool === 'pen') {
      e.preventDefault();
      (e.currentTarget as Element).setPointerCapture(e.pointerId);
      stroke.current = [p];
      setLive([p]);
    } else if (tool === 'text') {
      e.preventDefault();
      // The input keeps focus (no blur): send what was typed at the last spot first.
      if (typingRef.current && text.trim()) sendText();
      typingRef.current = { x: p[0], y: p[1] };
      setTyping(typingRef.current);
      setText('');
    } else if (tool === 'product' && sku) {
      // The card's middle goes where the shopper or agent clicked.
      const x = clamp(p[0] - cardW / boardW / 2, 0, 1 - cardW / boardW);
      const y = clamp(p[1] - cardH / boardH / 2, 0, 1 - cardH / boardH);
      draw!({ kind: 'product', sku, x: round(x), y: round(y) });
    }
  }

  function move(e: PointerEvent) {
    const s = stroke.current;
    if (!s) return;
    // Coalesced events keep fast strokes smooth.
    const evs = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    for (const ev of evs.length ? evs : [e]) {
      const p = at(ev);
      const last = s[s.length - 1];
      if (Math.hypot((p[0] - last[0]) * boardW, (p[1] - last[1]) * boardH) >= 1.5) s.push(p);
    }
    setLive([...s]);
  }

  function up() {
    const s = stroke.current;
    stroke.current = null;
    setLive(null);
    if (!s || !draw) return;
    const points = capPoints(simplify(s, 0.75 / boardW)).map(([x, y]) => [round(x), round(y)] as [number, number]);
    const width = 4;
    if (draw({ kind: 'stroke', points, color, width })) setPending((p) => [...p, { key: ++keyed.current, points, color, width }]);
  }

  function sendText() {
    // Enter unmounts the input, whose blur then calls again with the old closure: send once.
    const spot = typingRef.current;
    typingRef.current = null;
    const t = text.trim();
    setTyping(null);
    setText('');
    if (!t || !spot || !draw) return;
    draw({ kind: 'text', text: t.slice(0, 200), x: round(spot.x), y: round(spot.y), color });
  }

  function pick(i: BoardItem, e: MouseEvent) {
    if (!editable || tool !== 'eraser' || !erase) return;
    e.preventDefault();
    e.stopPropagation();
    erase(i.id);
  }

  const who = (a: BoardParty) => (a === me ? 'you' : names[a] ? `${names[a]} (${a === 'agent' ? 'sales agent' : 'shopper'})` : a === 'agent' ? 'the sales agent' : 'the shopper');
  const hint = !editable
    ? ''
    : tool === 'pen'
      ? 'Draw with the mouse or your finger.'
      : tool === 'text'
        ? 'Click where the text goes, type, then press Enter.'
        : tool === 'product'
          ? 'Pick a product, then click where its card goes.'
          : 'Click an item to erase it for both of you.';

  return (
    <div class={`wb${editable ? ' is-editable' : ' is-readonly'} tool-${tool}`} data-testid="board">
      {editable && (
        <div class="wb-tools" role="toolbar" aria-label="Whiteboard tools">
          <div class="wb-tool-group">
            <ToolButton tool="pen" current={tool} set={setTool} label="Pen" icon={<PenIcon />} />
            <ToolButton tool="text" current={tool} set={setTool} label="Text" icon={<TextIcon />} />
            {productTool && <ToolButton tool="product" current={tool} set={setTool} label="Product" icon={<CardIcon />} />}
            {erase && <ToolButton tool="eraser" current={tool} set={setTool} label="Eraser" icon={<EraserIcon />} />}
          </div>
          {(tool === 'pen' || tool === 'text') && (
            <div class="wb-swatches" role="radiogroup" aria-label="Colour">
              {boardColors.map((c) => (
                <button
                  key={c.value}
                  type="button"
                  role="radio"
                  aria-checked={color === c.value}
                  aria-label={c.name}
                  title={c.name}
                  class={`wb-swatch${color === c.value ? ' is-on' : ''}`}
                  style={{ '--swatch': c.value }}
                  data-testid={`board-color-${c.value.slice(1)}`}
                  onClick={() => setColor(c.value)}
                />
              ))}
            </div>
          )}
          {tool === 'product' && productTool && (
            <label class="wb-product-pick">
              <span class="sr-only">Product to drop</span>
              <select data-testid="board-product-select" value={sku} onChange={(e) => setSku((e.currentTarget as HTMLSelectElement).value)}>
                {products.map((p) => (
                  <option key={p.sku} value={p.sku}>
                    {p.name}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>
      )}

      <div class="wb-surface">
        <svg
          ref={svg}
          class="wb-svg"
          viewBox={`0 0 ${boardW} ${boardH}`}
          role="img"
          aria-label={`${label}: ${items.length === 1 ? '1 item' : `${items.length} items`}`}
          data-testid="board-svg"
          data-items={items.length}
          onPointerDown={down}
          onPointerMove={move}
          onPointerUp={up}
          onPointerCancel={up}
        >
          <defs>
            <pattern id="wb-dots" width="20" height="20" patternUnits="userSpaceOnUse">
              <circle cx="10" cy="10" r="1" class="wb-dot" />
            </pattern>
          </defs>
          <rect class="wb-paper" width={boardW} height={boardH} fill="url(#wb-dots)" />
          {items.map((i) => (
            <Item key={i.id} item={i} who={who(i.author)} onPick={pick} {...props} />
          ))}
          {pending.map((p) => (
            <path key={p.key} class="wb-stroke is-pending" d={pathOf(p.points)} stroke={p.color} stroke-width={p.width} />
          ))}
          {live && <path class="wb-stroke is-live" d={pathOf(live)} stroke={color} stroke-width={4} />}
        </svg>
        {items.length === 0 && !live && pending.length === 0 && !typing && (
          <p class="wb-empty">{props.empty ?? (editable ? 'Draw, write or drop a product here: both of you see it at once.' : 'Nothing was drawn on this board.')}</p>
        )}
        {typing && (
          <input
            class="wb-text-input"
            data-testid="board-text-input"
            aria-label="Text for the whiteboard"
            style={{ left: `${typing.x * 100}%`, top: `${typing.y * 100}%`, color }}
            maxLength={200}
            value={text}
            ref={(el) => el?.focus()}
            onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                sendText();
              } else if (e.key === 'Escape') {
                typingRef.current = null;
                setTyping(null);
                setText('');
              }
            }}
            onBlur={sendText}
          />
        )}
      </div>

      {(error || (editable && hint)) && (
        <p class={`wb-foot${error ? ' is-error' : ''}`} role={error ? 'alert' : 'status'} data-testid={error ? 'board-error' : undefined}>
          {error || hint}
        </p>
      )}
    </div>
  );
}

export interface BoardSummaryProps {
  items: BoardItem[];
  me: BoardParty;
  names?: Partial<Record<BoardParty, string>>;
  onProductClick?(path: string, e: MouseEvent): void;
  productTarget?: string;
}

/** BoardSummary says who put how much on a board and lists the products shown on it. */
export function BoardSummary({ items, me, names = {}, onProductClick, productTarget }: BoardSummaryProps) {
  const parties: BoardParty[] = me === 'agent' ? ['agent', 'shopper'] : ['shopper', 'agent'];
  const products = new Map<string, BoardProduct>();
  for (const i of items) if (i.product && !products.has(i.product.sku)) products.set(i.product.sku, i.product);
  return (
    <div class="wb-summary">
      <ul class="wb-who" aria-label="Who drew what">
        {parties.map((a) => {
          const n = items.filter((i) => i.author === a).length;
          const name = a === me ? 'You' : names[a] || (a === 'agent' ? 'Sales agent' : 'Shopper');
          return (
            <li key={a} class={`by-${a}`} data-author={a} data-count={n}>
              <span class="wb-who-dot" aria-hidden="true" />
              <span class="wb-who-name">{name}</span>
              <span class="wb-who-n">{n === 1 ? '1 item' : `${n} items`}</span>
            </li>
          );
        })}
      </ul>
      {products.size > 0 && (
        <>
          <h3 class="wb-summary-title">Products on the board</h3>
          <ul class="wb-products">
            {[...products.values()].map((p) => (
              <li key={p.sku}>
                <a
                  href={p.path}
                  target={productTarget}
                  rel={productTarget ? 'noopener' : undefined}
                  onClick={(e) => onProductClick?.(p.path, e as unknown as MouseEvent)}
                >
                  {p.image ? <img src={p.image} alt="" width={36} height={36} loading="lazy" /> : <span class="wb-card-img" aria-hidden="true" />}
                  <span class="wb-products-name">{p.name}</span>
                  <span class="wb-products-price">{formatBoardPrice(p.priceMinor, p.currency)}</span>
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function ToolButton({ tool, current, set, label, icon }: { tool: Tool; current: Tool; set(t: Tool): void; label: string; icon: JSX.Element }) {
  return (
    <button type="button" class={`wb-tool${tool === current ? ' is-on' : ''}`} aria-pressed={tool === current} data-testid={`board-tool-${tool}`} onClick={() => set(tool)}>
      {icon}
      <span>{label}</span>
    </button>
  );
}

interface ItemProps extends WhiteboardProps {
  item: BoardItem;
  who: string;
  onPick(i: BoardItem, e: MouseEvent): void;
}

function Item({ item: i, who, onPick, onProductClick, productTarget }: ItemProps) {
  const common = {
    class: `wb-item kind-${i.kind} by-${i.author}`,
    'data-testid': 'board-item',
    'data-kind': i.kind,
    'data-author': i.author,
    'data-item-id': i.id,
    onClick: (e: MouseEvent) => onPick(i, e),
  };
  const title = <title>{`${i.kind === 'stroke' ? 'Drawn' : i.kind === 'text' ? 'Written' : 'Dropped'} by ${who}`}</title>;
  if (i.kind === 'stroke') {
    const d = pathOf(i.points ?? []);
    return (
      <g {...common}>
        {title}
        <path class="wb-hit" d={d} stroke-width={Math.max(18, (i.width ?? 4) + 12)} />
        <path class="wb-stroke" d={d} stroke={i.color || '#1f2340'} stroke-width={i.width ?? 4} />
      </g>
    );
  }
  if (i.kind === 'text') {
    return (
      <g {...common}>
        {title}
        <text class="wb-text" x={i.x * boardW} y={i.y * boardH} fill={i.color || '#1f2340'} dominant-baseline="middle">
          {i.text}
        </text>
      </g>
    );
  }
  const p: BoardProduct | undefined = i.product;
  if (!p) return null;
  const x = Math.min(i.x * boardW, boardW - cardW);
  const y = Math.min(i.y * boardH, boardH - cardH);
  return (
    <g {...common}>
      {title}
      <foreignObject x={x} y={y} width={cardW} height={cardH}>
        <a
          class="wb-card"
          href={p.path}
          target={productTarget}
          rel={productTarget ? 'noopener' : undefined}
          data-sku={p.sku}
          onClick={(e) => {
            // With the eraser, a click erases (the group hears it); otherwise it opens the product.
            if ((e.currentTarget as Element).closest('.tool-eraser.is-editable')) {
              e.preventDefault();
              return;
            }
            onProductClick?.(p.path, e as unknown as MouseEvent);
          }}
        >
          {p.image ? <img class="wb-card-img" src={p.image} alt="" width={56} height={56} /> : <span class="wb-card-img" aria-hidden="true" />}
          <span class="wb-card-text">
            <span class="wb-card-name">{p.name}</span>
            <span class="wb-card-price">{formatBoardPrice(p.priceMinor, p.currency)}</span>
          </span>
        </a>
      </foreignObject>
    </g>
  );
}

const money = new Map<string, Intl.NumberFormat>();

/** formatBoardPrice shows minor units in their currency. */
function formatBoardPrice(minor: number, currency: string): string {
  const cur = currency || 'EUR';
  let f = money.get(cur);
  if (!f) {
    try {
      f = new Intl.NumberFormat(undefined, { style: 'currency', currency: cur });
    } catch {
      return `${(minor / 100).toFixed(2)} ${cur}`;
    }
    money.set(cur, f);
  }
  return f.format(minor / 100);
}

/** pathOf draws points (fractions) as a path in board units; one point is a dot. */
function pathOf(points: [number, number][]): string {
  if (points.length === 0) return '';
  const pts = points.length === 1 ? [points[0], points[0]] : points;
  return pts.map(([x, y], n) => `${n === 0 ? 'M' : 'L'}${(x * boardW).toFixed(1)} ${(y * boardH).toFixed(1)}`).join(' ');
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** round keeps 4 decimals of a fraction: finer than a pixel on any screen. */
function round(v: number): number {
  return Math.round(clamp(v, 0, 1) * 10000) / 10000;
}

/** simplify drops points closer than eps to the line through their neighbours (Ramer–Douglas–Peucker). */
export function simplify(points: [number, number][], eps: number): [number, number][] {
  if (points.length < 3) return points;
  const keep = new Uint8Array(points.length);
  keep[0] = keep[points.length - 1] = 1;
  const stack: [number, number][] = [[0, points.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop()!;
    let far = -1;
    let dist = eps;
    for (let k = a + 1; k < b; k++) {
      const d = distToSegment(points[k], points[a], points[b]);
      if (d > dist) {
        dist = d;
        far = k;
      }
    }
    if (far >= 0) {
      keep[far] = 1;
      stack.push([a, far], [far, b]);
    }
  }
  return points.filter((_, k) => keep[k]);
}

function distToSegment(p: [number, number], a: [number, number], b: [number, number]): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len = dx * dx + dy * dy;
  const t = len === 0 ? 0 : clamp(((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len, 0, 1);
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

/** capPoints keeps at most maxPoints, evenly spread, first and last included. */
export function capPoints(points: [number, number][]): [number, number][] {
  if (points.length <= maxPoints) return points;
  const out: [number, number][] = [];
  const step = (points.length - 1) / (maxPoints - 1);
  for (let k = 0; k < maxPoints; k++) out.push(points[Math.round(k * step)]);
  return out;
}

const PenIcon = () => (
  <Svg size={18}>
    <path d="M12 20h9" />
    <path d="M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z" />
  </Svg>
);
const TextIcon = () => (
  <Svg size={18}>
    <path d="M4 7V4h16v3" />
    <path d="M9 20h6" />
    <path d="M12 4v16" />
  </Svg>
);
const CardIcon = () => (
  <Svg size={18}>
    <rect x="3" y="5" width="18" height="14" rx="2" />
    <rect x="6" y="8" width="5" height="5" rx="1" />
    <path d="M14 9h4M14 13h3" />
  </Svg>
);
const EraserIcon = () => (
  <Svg size={18}>
    <path d="m7 21-4.3-4.3a1 1 0 0 1 0-1.4l10-10a1 1 0 0 1 1.4 0l5.6 5.6a1 1 0 0 1 0 1.4L11 21" />
    <path d="M22 21H7" />
    <path d="m5 11 9 9" />
  </Svg>
);
