// BoardDock: the whiteboard in the shopper's call. BoardButton sits in the
// call panel (with a note when the agent drew while the board was closed);
// BoardOverlay is the board itself, beside the call panel so the call's
// controls stay in sight; BoardFromCall shows the board of the call an
// order was placed in, read-only, on the order page.
//
//   <BoardButton agent="Ana" />   <BoardOverlay agent="Ana" />   <BoardFromCall orderId={id} />

import { useEffect, useState } from 'preact/hooks';
import { api } from '../../backend/web/ui/api';
import { CloseIcon } from '../../backend/web/ui/icons';
import { BoardSummary, useBoardView, Whiteboard, type BoardProductChoice, type BoardSnapshot } from '../../backend/web/ui/Whiteboard';
import { linkClick } from './router';
import { useMallBoard, useMallBoardFollower } from './whiteboard';

/** agentWord names the agent in a sentence. */
function agentWord(agent: string): string {
  return agent || 'The sales agent';
}

/** BoardButton opens the call's whiteboard; it says when the agent drew on it meanwhile. */
export function BoardButton({ agent }: { agent: string }) {
  const mallBoard = useMallBoardFollower();
  const s = useMallBoard();
  if (!s.board) return null;
  return (
    <div class="board-button-row">
      <button
        type="button"
        class={`btn btn-sm board-button${s.open ? ' is-on' : ''}`}
        data-testid="board-toggle"
        aria-expanded={s.open}
        onClick={() => mallBoard.setOpen(!s.open)}
      >
        <BoardIcon />
        {s.open ? 'Hide the whiteboard' : 'Whiteboard'}
      </button>
      {s.unseen > 0 && (
        <span class="board-badge" role="status" data-testid="board-unseen">
          <span class="board-badge-dot" aria-hidden="true" />
          {agentWord(agent)} drew on the whiteboard
        </span>
      )}
    </div>
  );
}

/** BoardOverlay is the open whiteboard of the call, beside the call panel. */
export function BoardOverlay({ agent }: { agent: string }) {
  const mallBoard = useMallBoardFollower();
  const s = useMallBoard();
  const view = useBoardView(s.board);
  const products = useProducts(s.open && s.live ? view?.store?.slug : undefined);
  if (!s.board || !s.open || !view) return null;
  const b = s.board;
  return (
    <section class="board-overlay" role="dialog" aria-labelledby="board-overlay-title" data-testid="board-overlay">
      <header class="board-overlay-head">
        <div>
          <h2 id="board-overlay-title">Whiteboard</h2>
          <p class="small muted">{s.live ? `Shared with ${agent || 'your sales agent'}: you both see everything at once.` : 'The call has ended: the board is kept with your order.'}</p>
        </div>
        <button type="button" class="icon-btn" aria-label="Close the whiteboard" data-testid="board-close" onClick={() => mallBoard.setOpen(false)}>
          <CloseIcon size={18} />
        </button>
      </header>
      <Whiteboard
        items={view.items}
        me="shopper"
        names={{ agent }}
        draw={s.live ? (d) => b.draw(d) : undefined}
        erase={s.live ? (id) => b.erase(id) : undefined}
        products={products}
        error={view.error}
        label={`Whiteboard with ${agentWord(agent)}`}
        onProductClick={(path, e) => linkClick(path)(e)}
      />
    </section>
  );
}

/** useProducts loads the store's products for the shopper's product tool. */
function useProducts(slug: string | undefined): BoardProductChoice[] {
  const [products, setProducts] = useState<BoardProductChoice[]>([]);
  useEffect(() => {
    if (!slug) return;
    let alive = true;
    api.store(slug).then(
      (r) => alive && setProducts(r.departments.flatMap((d) => d.products).map((p) => ({ sku: p.sku, name: p.name }))),
      () => {},
    );
    return () => {
      alive = false;
    };
  }, [slug]);
  return products;
}

/** BoardFromCall shows the board of the call an order was placed in; nothing when there is none. */
export function BoardFromCall({ orderId }: { orderId: string }) {
  const [board, setBoard] = useState<BoardSnapshot | null>(null);
  useEffect(() => {
    let alive = true;
    setBoard(null);
    api.get<BoardSnapshot>(`/orders/${encodeURIComponent(orderId)}/board`).then(
      (b) => alive && setBoard(b),
      // 404: the order was not placed during a call. Anything else: the page works without it.
      () => {},
    );
    return () => {
      alive = false;
    };
  }, [orderId]);
  if (!board || board.items.length === 0) return null;
  return (
    <section class="card board-from-call" aria-labelledby="board-from-call-title" data-testid="order-board">
      <h2 id="board-from-call-title" class="card-title">
        Whiteboard from your call
      </h2>
      <p class="muted small">What you and {board.store?.name ? `${board.store.name}'s sales agent` : 'the sales agent'} drew, wrote and showed during the call.</p>
      <div class="wb-with-summary">
        <Whiteboard items={board.items} me="shopper" label="Whiteboard from your call" onProductClick={(path, e) => linkClick(path)(e)} />
        <BoardSummary items={board.items} me="shopper" onProductClick={(path, e) => linkClick(path)(e)} />
      </div>
    </section>
  );
}

function BoardIcon() {
  return (
    <svg class="icon" width={16} height={16} viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
      <rect x="3" y="4" width="18" height="13" rx="2" />
      <path d="M7 13c2-3 3.5-3 5-1s3 2 5-2" />
      <path d="M12 17v3M8 21h8" />
    </svg>
  );
}
