// MallCallProvider makes the page's talk session, its co-browse host and its
// whiteboard follower once, when the mall mounts, and hands them down through
// Preact context: a call placed on a product page goes on while the shopper
// browses other pages, and no module holds page-wide state.

import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { CobrowseHost } from './cobrowse';
import { CobrowseContext } from './CobrowseBanner';
import { attachTalkToPage, TalkContext, TalkSession } from './talkSession';
import { MallBoard, MallBoardContext } from './whiteboard';

/** MallCallProvider provides the talk session, the co-browse host and the whiteboard follower. */
export function MallCallProvider({ children }: { children: ComponentChildren }) {
  const [parts] = useState(() => {
    const cobrowse = new CobrowseHost();
    const talk = new TalkSession(cobrowse);
    return { cobrowse, talk, board: new MallBoard(talk) };
  });
  useEffect(() => attachTalkToPage(parts.talk), [parts]);
  return (
    <CobrowseContext.Provider value={parts.cobrowse}>
      <TalkContext.Provider value={parts.talk}>
        <MallBoardContext.Provider value={parts.board}>{children}</MallBoardContext.Provider>
      </TalkContext.Provider>
    </CobrowseContext.Provider>
  );
}
