// The shopper's side of the engagement's whiteboard, as one object that
// lives as long as the page (like talkSession.ts): it follows the board of
// the call in progress even while the board is closed, so the call panel
// can say "the agent drew on the whiteboard", and it goes when the call
// panel closes.

import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { LiveBoard } from '../../backend/web/ui/Whiteboard';
import type { TalkSession, TalkState } from './talkSession';

/** MallBoardState is what the board's button and overlay show. */
export interface MallBoardState {
  /** board is the current call's board, or the last call's until the panel closes; null without one. */
  board: LiveBoard | null;
  /** live says the call is connected: only then can the shopper draw. */
  live: boolean;
  open: boolean;
  /** unseen counts the agent's items that arrived while the board was closed. */
  unseen: number;
}

/** MallBoard follows the whiteboard of the talk session's call. */
export class MallBoard {
  private state: MallBoardState = { board: null, live: false, open: false, unseen: 0 };
  private readonly listeners = new Set<(s: MallBoardState) => void>();

  constructor(private readonly talk: TalkSession) {
    talk.subscribe((s) => this.follow(s));
    talk.listen((m) => {
      const b = this.state.board;
      if (!b) return;
      if (m.type === 'hello') {
        void b.load();
        return;
      }
      if (b.handle(m) && m.type === 'board.item' && m.data.item.author === 'agent' && !this.state.open) {
        this.set({ unseen: this.state.unseen + 1 });
      }
    });
  }

  get current(): MallBoardState {
    return this.state;
  }

  subscribe(fn: (s: MallBoardState) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  private set(p: Partial<MallBoardState>) {
    this.state = { ...this.state, ...p };
    for (const fn of this.listeners) fn(this.state);
  }

  /** follow starts the board of a call once it connects and lets it go with the panel. */
  private follow(s: TalkState) {
    if (!s.target) {
      if (this.state.board) this.set({ board: null, live: false, open: false, unseen: 0 });
      return;
    }
    const c = s.snap.call;
    const live = c?.phase === 'active';
    const entryId = live ? c?.queue?.entryId : undefined;
    if (entryId && this.state.board?.current.entryId !== entryId) {
      const board = new LiveBoard(entryId, (m) => this.talk.send(m));
      this.set({ board, live: true, open: false, unseen: 0 });
      void board.load();
      return;
    }
    if (live !== this.state.live) this.set({ live });
  }

  /** setOpen opens or closes the board; opening it counts everything as seen. */
  setOpen(open: boolean) {
    this.set({ open, unseen: open ? 0 : this.state.unseen });
  }
}

/** MallBoardContext hands the page's whiteboard follower to the views (MallCallProvider makes it). */
export const MallBoardContext = createContext<MallBoard | null>(null);

/** useMallBoardFollower is the page's whiteboard follower. */
export function useMallBoardFollower(): MallBoard {
  const b = useContext(MallBoardContext);
  if (!b) throw new Error('useMallBoardFollower: no MallCallProvider above');
  return b;
}

/** useMallBoard follows the whiteboard of the call. */
export function useMallBoard(): MallBoardState {
  const mallBoard = useMallBoardFollower();
  const [s, setS] = useState(mallBoard.current);
  useEffect(() => {
    setS(mallBoard.current);
    return mallBoard.subscribe(setS);
  }, [mallBoard]);
  return s;
}
