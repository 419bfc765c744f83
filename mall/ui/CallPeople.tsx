// CallPeople: who else is in the shopper's call. When someone joins the
// call with the agent (a supervisor barging in, say) their picture shows
// beside the agent's, and a note says "Noor, supervisor, joined" (or
// "… left"). The roster (call.roster) says who is who; it never names
// anyone the shopper cannot hear, so a supervisor who only monitors or
// whispers to the agent is never shown.

import { useEffect, useRef, useState } from 'preact/hooks';
import { VideoTile } from '../../backend/web/ui/CallKit';
import type { CallView } from '../../media/client/call';
import type { RosterMember } from '../../media/client/protocol';
import './call-people.css';

/** nameOf is how a roster member is called ('' when the roster gives no name). */
function nameOf(m: RosterMember | null | undefined): string {
  return (m as { name?: string } | null | undefined)?.name ?? '';
}

/** OtherPeople shows the pictures of the call's further parties, named. */
export function OtherPeople({ call: c }: { call: CallView }) {
  const others = c.others.filter((o) => o.stream.getTracks().length > 0);
  if (others.length === 0) return null;
  return (
    <div class="call-people" data-testid="call-people">
      {others.map((o) => (
        <figure key={o.id} class="video-tile call-person" data-testid="call-person">
          <VideoTile stream={o.stream} muted={false} class="video-tile-video" label={`${nameOf(o.member) || 'Someone'} in the call`} />
          <figcaption>{nameOf(o.member) || 'In the call'}</figcaption>
        </figure>
      ))}
    </div>
  );
}

/**
 * said puts names before what they did; a name with a role after a comma
 * ("Noor, supervisor") takes a comma: "Noor, supervisor, joined".
 */
function said(names: string[], what: string): string {
  const who = names.join(' and ');
  return names.length === 1 && who.includes(',') ? `${who}, ${what}` : `${who} ${what}`;
}

/** joinNoteFor is how long a "joined" or "left" note stays. */
const joinNoteFor = 8000;

/** JoinedNote says who joined or left the call, for a few seconds. */
export function JoinedNote({ call: c }: { call: CallView }) {
  const known = useRef<Map<string, string> | null>(null);
  const [note, setNote] = useState<{ text: string; at: number } | null>(null);
  const roster = c.roster;
  useEffect(() => {
    if (!roster) return;
    const parties = new Map(roster.members.filter((m) => m.role === 'party').map((m) => [m.id, nameOf(m)]));
    const before = known.current;
    known.current = parties;
    // The first roster is the call as it was answered: nobody "joined".
    if (!before) return;
    const joined = [...parties].filter(([id, name]) => !before.has(id) && name).map(([, name]) => name);
    const left = [...before].filter(([id, name]) => !parties.has(id) && name).map(([, name]) => name);
    if (joined.length) setNote({ text: said(joined, 'joined'), at: Date.now() });
    else if (left.length) setNote({ text: said(left, 'left the call'), at: Date.now() });
  }, [roster]);
  useEffect(() => {
    if (!note) return;
    const t = setTimeout(() => setNote(null), joinNoteFor);
    return () => clearTimeout(t);
  }, [note]);
  if (!note || c.phase === 'ended') return null;
  return (
    <p key={note.at} class="call-joined" role="status" data-testid="call-joined">
      {note.text}
    </p>
  );
}
