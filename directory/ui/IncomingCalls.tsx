// IncomingCalls: the ringing card (who calls, answer with video or voice,
// decline), a soft ring while it rings, and a "missed call" note after.

import { CloseIcon, HangUpIcon, MicIcon, PhoneMissedIcon, VideoIcon } from '../../backend/web/ui/icons';
import { initials } from '../../backend/web/ui/session';
import type { CallClient, CallSnapshot } from '../../media/client/call';
import { IncomingCallCard, useRingTone, type IncomingCallClasses, type RingTone } from '../../backend/web/ui/IncomingCallCard';

/** phoneRing is a two-tone ring every 3 s. */
const phoneRing: RingTone = { tones: [880, 660], spacing: 0.45, length: 0.4, hold: 0.32, every: 3000, volume: 0.12 };

const phoneCard: IncomingCallClasses = {
  card: 'incoming-card',
  who: 'incoming-top',
  text: 'incoming-text',
  kicker: 'call-eyebrow',
  name: 'incoming-name',
  note: 'incoming-number mono',
  actions: 'incoming-actions',
};

function missedText(reason: string): string {
  switch (reason) {
    case 'cancelled':
      return 'They hung up before you answered.';
    case 'no answer':
      return 'Not answered in time; they were offered your mailbox.';
    default:
      return reason ? `${reason[0].toUpperCase()}${reason.slice(1)}.` : '';
  }
}

/** others names the people in a call besides the one who adds you: "Bob Lee", "Bob Lee and Cara Diaz", "Bob, Cara and 2 others". */
function others(members: string[], inviter: string): string {
  const rest = members.filter((m) => m !== inviter);
  if (rest.length === 0) return 'them';
  if (rest.length <= 2) return rest.join(' and ');
  return `${rest
    .slice(0, 2)
    .map((n) => n.split(' ')[0])
    .join(', ')} and ${rest.length - 2} other${rest.length === 3 ? '' : 's'}`;
}

/** IncomingCalls shows each call ringing this device, newest last. */
export function IncomingCalls({ snap, client }: { snap: CallSnapshot; client: CallClient }) {
  const ringing = snap.incoming.length > 0;
  useRingTone(ringing, phoneRing);

  const missed = snap.missed;
  return (
    <div class="incoming-stack">
      {/* Screen readers hear the ring at once. */}
      <p class="sr-only" role="status" aria-live="assertive">
        {snap.incoming.map((i) => (i.conference ? `${i.from.name} adds you to a call with ${others(i.conference.members, i.from.name)}. ` : `${i.video ? 'Incoming video call' : 'Incoming call'} from ${i.from.name}. `)).join('')}
      </p>
      {snap.incoming.map((i) => (
        <IncomingCallCard
          key={i.callId}
          callId={i.callId}
          classes={phoneCard}
          face={
            <div class="call-avatar-ring is-ringing incoming-ring" aria-hidden="true">
              <span class="avatar call-avatar">{initials(i.from.name)}</span>
            </div>
          }
          kicker={i.conference ? 'Adds you to a call' : i.video ? 'Incoming video call' : 'Incoming call'}
          name={i.from.name}
          note={i.conference ? `With ${others(i.conference.members, i.from.name)}` : (i.from.display ?? 'No number')}
          before={snap.call && snap.call.phase !== 'ended' && <p class="incoming-warn small">Answering ends your current call.</p>}
          actions={
            <>
              <button type="button" class="btn btn-answer" aria-label="Answer with video" onClick={() => client.answer(i.callId, true)}>
                <VideoIcon size={18} /> Answer
              </button>
              <button
                type="button"
                class="btn btn-answer btn-answer-voice"
                aria-label="Answer with voice only"
                onClick={() => client.answer(i.callId, false)}
              >
                <MicIcon size={18} /> Voice
              </button>
              <button type="button" class="btn btn-decline" onClick={() => client.decline(i.callId)}>
                <HangUpIcon size={18} /> Decline
              </button>
            </>
          }
        />
      ))}
      {missed && !ringing && (
        <section class="incoming-card missed-card" aria-label="Missed call">
          <PhoneMissedIcon size={20} class="icon missed-icon" />
          <div class="incoming-text">
            <p class="missed-title">Missed call from {missed.from.name}</p>
            <p class="muted-light small">
              {missed.from.display && <span class="mono">{missed.from.display} · </span>}
              {missedText(missed.reason)}
            </p>
          </div>
          <button type="button" class="icon-btn missed-x" aria-label="Dismiss missed call" onClick={() => client.dismissMissed()}>
            <CloseIcon size={16} />
          </button>
        </section>
      )}
    </div>
  );
}
