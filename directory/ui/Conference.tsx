// Conference: the parts of the call screen for a call of several members.
// Every other party gets a tile with their name (their video over their
// initials), members being rung to join get a ringing tile, and "Add person"
// opens a number field (the dial pad's) that rings another member into the
// call.

import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { Svg, type IconProps } from '../../backend/web/ui/icons';
import { NumberInput } from '../../backend/web/ui/NumberInput';
import { checkNumber, moreDigits } from '../../backend/web/ui/numbers';
import { initials } from '../../backend/web/ui/session';
import { VideoTile } from '../../backend/web/ui/CallKit';
import { mainMember, type CallClient, type CallView } from '../../media/client/call';

/** AddPersonIcon is a person with a plus: add someone to the call. */
export const AddPersonIcon = (p: IconProps) => (
  <Svg {...p}>
    <circle cx="9" cy="8" r="4" />
    <path d="M2 21a7 7 0 0 1 14 0" />
    <path d="M19 8v6" />
    <path d="M16 11h6" />
  </Svg>
);

/** maxPeople is how many people one call holds (media.MaxParticipants). */
export const maxPeople = 8;

/** Tile is one other party of the call as the grid shows them. */
interface Tile {
  key: string;
  name: string;
  stream: MediaStream | null;
  ringing?: boolean;
}

/** partyTiles are the other parties of the call (first the one on the main stream), then those being rung. */
export function partyTiles(c: CallView): Tile[] {
  const main = mainMember(c);
  const tiles: Tile[] = [{ key: 'main', name: main?.name || c.peer.name || 'Connecting…', stream: c.remoteStream }];
  for (const o of c.others) {
    if (o.member && o.member.role !== 'party') continue; // a whisperer's voice, not a tile
    tiles.push({ key: o.id, name: o.member?.name || 'Joining…', stream: o.stream });
  }
  for (const i of c.invites) tiles.push({ key: `invite-${i.display}`, name: i.name, stream: null, ringing: true });
  return tiles;
}

/** isConference reports whether the call screen shows the grid: more than one other party, or someone being rung in. */
export function isConference(c: CallView): boolean {
  const parties = c.roster?.members.filter((m) => m.role === 'party').length ?? 0;
  return c.phase === 'active' && (parties > 1 || c.invites.length > 0 || c.others.some((o) => !o.member || o.member.role === 'party'));
}

/** canAddPeople reports whether this side may add someone: an answered call between members, as a party, with room left. */
export function canAddPeople(c: CallView): boolean {
  const inCall = 1 + (c.roster?.members.length ?? 1);
  return c.phase === 'active' && !c.queue && !c.offer && (c.roster?.role ?? 'party') === 'party' && inCall + c.invites.length < maxPeople;
}

/** conferenceTitle names the other parties: "Bob Lee and Cara Diaz", "Bob, Cara and 2 others". */
export function conferenceTitle(c: CallView): string {
  const names = partyTiles(c)
    .filter((t) => !t.ringing)
    .map((t) => t.name);
  if (names.length <= 2) return names.join(' and ');
  const first = names.slice(0, 2).map((n) => n.split(' ')[0]);
  return `${first.join(', ')} and ${names.length - 2} other${names.length - 2 === 1 ? '' : 's'}`;
}

/** ConferenceGrid shows a tile for every other party and for everyone being rung. */
export function ConferenceGrid({ call: c }: { call: CallView }) {
  const tiles = partyTiles(c);
  return (
    <ul class="conf-grid" data-count={Math.min(tiles.length, 8)} aria-label="People in the call">
      {tiles.map((t) => (
        <li key={t.key} class={`conf-tile${t.ringing ? ' is-ringing' : ''}`} data-testid="conf-tile" data-name={t.name}>
          <span class="conf-initials" aria-hidden="true">
            <span class={`call-avatar-ring${t.ringing ? ' is-ringing' : ''}`}>
              <span class="avatar conf-avatar">{initials(t.name)}</span>
            </span>
          </span>
          {t.stream && <VideoTile stream={t.stream} muted={false} class="conf-video" label={`${t.name}'s video`} />}
          <span class="conf-name">
            {t.name}
            {t.ringing && <span class="conf-state"> · Ringing…</span>}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** AddPerson is the "Add person" panel over the stage: a number, and the answer to adding it. */
export function AddPerson({ call: c, client, onClose }: { call: CallView; client: CallClient; onClose(): void }) {
  const id = useId();
  const [digits, setDigits] = useState('');
  const [sent, setSent] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const check = checkNumber(digits);

  useEffect(() => input.current?.focus(), []);
  // The panel closes once the member it added rings.
  useEffect(() => {
    if (sent && c.invites.some((i) => i.display.replace(/\s/g, '') === sent)) onClose();
  }, [c.invites, sent]);
  useEffect(() => {
    if (c.inviteError) setSent('');
  }, [c.inviteError]);

  const add = (e: Event) => {
    e.preventDefault();
    if (!check.complete || sent) return;
    setSent(digits);
    client.invite(digits);
  };
  const problem = check.problem || c.inviteError;
  return (
    <form class="add-person" aria-labelledby={`${id}-t`} onSubmit={add} noValidate>
      <h3 id={`${id}-t`} class="add-person-title">
        Add someone to the call
      </h3>
      <label class="add-person-label" for={`${id}-n`}>
        Their number
      </label>
      <NumberInput
        id={`${id}-n`}
        inputRef={input}
        class="dial-input add-person-input"
        value={digits}
        onDigits={(d) => {
          setDigits(d);
          setSent('');
        }}
        placeholder="2000 0000 0000"
        aria-invalid={problem ? 'true' : undefined}
        aria-describedby={`${id}-m`}
      />
      <p id={`${id}-m`} class={problem ? 'field-error add-person-msg' : 'hint add-person-msg'} aria-live="polite">
        {problem ||
          (sent
            ? 'Calling…'
            : digits.length === 0
              ? `Up to ${maxPeople} people in one call. They ring as usual.`
              : !check.complete
                ? moreDigits(check.remaining)
                : `Ready to add ${check.display}.`)}
      </p>
      <div class="add-person-actions">
        <button type="button" class="btn btn-ghost-light btn-sm" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" class="btn btn-primary btn-sm" disabled={!check.complete || !!sent}>
          <AddPersonIcon size={16} /> Add
        </button>
      </div>
    </form>
  );
}

/** AddPersonButton opens the panel from the call's controls. */
export function AddPersonButton({ open, onOpen }: { open: boolean; onOpen(): void }) {
  return (
    <button type="button" class={`call-btn${open ? ' is-on' : ''}`} onClick={onOpen} aria-expanded={open} data-testid="add-person">
      <AddPersonIcon size={22} />
      <span>Add person</span>
    </button>
  );
}
