// BoardPanel: the engagement's shared whiteboard on the desk. During the
// call it is a panel of the engagement tools that opens the live board
// (what the shopper draws arrives at once; a badge counts it while the
// board is folded); after the call BoardRecord shows the board read-only
// in the wrap-up, when anything was drawn.
//
//   <BoardPanel entryId={e.entryId} shopperName="Sam" live />
//   <BoardRecord entryId={item.entryId} shopperName="Sam" />

import { useEffect, useState } from 'preact/hooks';
import { api } from '../../backend/web/ui/api';
import { errorMessage } from '../../backend/web/ui/session';
import { BoardSummary, useLiveBoard, Whiteboard, type BoardProductChoice, type BoardSnapshot } from '../../backend/web/ui/Whiteboard';
import { useDeskSocket } from './deskSignal';

/** useStoreProducts loads the products on sale in a store, by name, for the product tool. */
function useStoreProducts(slug: string | undefined): BoardProductChoice[] {
  const [products, setProducts] = useState<BoardProductChoice[]>([]);
  useEffect(() => {
    if (!slug) return;
    let alive = true;
    api.store(slug).then(
      (r) => {
        if (!alive) return;
        const all = r.departments.flatMap((d) => d.products).map((p) => ({ sku: p.sku, name: p.name }));
        setProducts(all.sort((a, b) => a.name.localeCompare(b.name)));
      },
      () => {},
    );
    return () => {
      alive = false;
    };
  }, [slug]);
  return products;
}

export interface BoardPanelProps {
  entryId: string;
  shopperName: string;
  /** live says the call is connected: only then can the agent draw. */
  live: boolean;
}

/** BoardPanel is the live whiteboard of the agent's current engagement. */
export function BoardPanel({ entryId, shopperName, live }: BoardPanelProps) {
  const socket = useDeskSocket();
  const { board, view } = useLiveBoard(entryId, socket.send, socket.onMessage);
  const [open, setOpen] = useState(false);
  // Before the call connects the engagement may not be this agent's yet: read it again once it is.
  useEffect(() => {
    if (live) void board.load();
  }, [live, board]);
  const [seenUpTo, setSeenUpTo] = useState(0);
  const products = useStoreProducts(open ? view.store?.slug : undefined);
  const items = view.items;
  const last = items.length ? items[items.length - 1].id : 0;
  useEffect(() => {
    if (open) setSeenUpTo(last);
  }, [open, last]);
  const unseen = open ? 0 : items.filter((i) => i.author === 'shopper' && i.id > seenUpTo).length;

  return (
    <section class={`eng-panel board-panel${open ? ' is-open' : ''}`} aria-labelledby="eng-board-title" data-testid="desk-board" data-items={items.length}>
      <header class="eng-head">
        <h2 id="eng-board-title">Whiteboard</h2>
        <span class="board-panel-meta">
          {unseen > 0 && (
            <span class="badge badge-role" role="status" data-testid="board-unseen">
              {shopperName} drew on it
            </span>
          )}
          <span class="muted small">{items.length === 1 ? '1 item' : `${items.length} items`}</span>
          <button type="button" class="btn btn-secondary btn-sm" data-testid="board-open" aria-expanded={open} onClick={() => setOpen(!open)}>
            {open ? 'Fold away' : 'Open whiteboard'}
          </button>
        </span>
      </header>
      {!open ? (
        <p class="ctx-empty">Sketch, write or drop product cards on a board {shopperName} sees live. It is kept with the engagement.</p>
      ) : (
        <div class="wb-with-summary">
          <Whiteboard
            items={items}
            me="agent"
            names={{ shopper: shopperName }}
            draw={live ? (d) => board.draw(d) : undefined}
            erase={live ? (id) => board.erase(id) : undefined}
            products={products}
            error={view.error}
            label={`Whiteboard with ${shopperName}`}
            productTarget="_blank"
            empty={live ? undefined : 'The board opens for drawing once the call is connected.'}
          />
          <BoardSummary items={items} me="agent" names={{ shopper: shopperName }} productTarget="_blank" />
        </div>
      )}
    </section>
  );
}

/** BoardRecord is an engagement's board, read-only, once anything was drawn on it. */
export function BoardRecord({ entryId, shopperName }: { entryId: string; shopperName: string }) {
  const [board, setBoard] = useState<BoardSnapshot | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let alive = true;
    api.get<BoardSnapshot>(`/boards/${encodeURIComponent(entryId)}`).then(
      (b) => alive && setBoard(b),
      (e) => alive && setError(errorMessage(e)),
    );
    return () => {
      alive = false;
    };
  }, [entryId]);
  if (error) return <p class="status-error small">The whiteboard did not load: {error}</p>;
  if (!board || board.items.length === 0) return null;
  return (
    <section class="board-record" aria-labelledby={`board-record-${entryId}`} data-testid="board-record">
      <h3 id={`board-record-${entryId}`} class="ctx-title">
        Whiteboard from the call
      </h3>
      <div class="wb-with-summary">
        <Whiteboard items={board.items} me="agent" names={{ shopper: shopperName }} label={`Whiteboard with ${shopperName}`} productTarget="_blank" />
        <BoardSummary items={board.items} me="agent" names={{ shopper: shopperName }} productTarget="_blank" />
      </div>
    </section>
  );
}
