// CallIncoming: a shopper offered to this agent. The card pulses and rings
// (a short two-tone with Web Audio) and counts down the seconds the offer
// stands; it shows who calls and what they were looking at, with Answer and
// Decline. Letting it ring out sets the agent away (the server decides). A
// booked video call says so: the agent's own appointment (or whose it was,
// when it fell back to this agent) and its booked time.

import { IncomingCallCard, useRingTone, type IncomingCallClasses, type RingTone } from '../../backend/web/ui/IncomingCallCard';
import { HangUpIcon, UserIcon, VideoIcon } from '../../backend/web/ui/icons';
import type { IncomingCall } from '../../media/client/call';
import type { ContextBooking } from '../../media/client/protocol';
import { CallContext, shopperName, useNow } from './CallContext';
import './booked-ring.css';

/** deskRing is a soft two-tone every 2.5 s. */
const deskRing: RingTone = { tones: [988, 784], spacing: 0.3, length: 0.26, every: 2500, volume: 0.1 };

const deskCard: IncomingCallClasses = {
  card: 'desk-ring',
  main: 'desk-ring-main',
  who: 'desk-ring-who',
  text: 'desk-ring-text',
  kicker: 'call-kicker',
  name: 'desk-ring-name',
  note: 'desk-ring-note',
  actions: 'desk-ring-actions',
};

export interface CallIncomingProps {
  ring: IncomingCall;
  /** me is the signed-in agent's account id: a booked call with them is "your" appointment. */
  me: string;
  onAnswer(): void;
  onDecline(): void;
}

/** bookedText says whose booked call rings and for when, e.g. "Your booked video call at 14:30". */
export function bookedText(b: ContextBooking, me: string): string {
  const at = new Date(b.startsAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return b.agentId === me ? `Your booked video call at ${at}` : `Booked with ${b.agentName || 'another agent'} for ${at}`;
}

/** CallIncoming is the ringing card with the shopper's context. */
export function CallIncoming({ ring, me, onAnswer, onDecline }: CallIncomingProps) {
  const offer = { queue: ring.queue, avatar: ring.avatar };
  const now = useNow(true, 250);
  useRingTone(true, deskRing);
  const q = offer?.queue;
  const total = q?.ringSeconds || 15;
  const left = Math.max(0, total - (now - ring.at) / 1000);
  const booking = q?.context.booking;
  const booked = booking ? bookedText(booking, me) : '';
  // A guest has no name of their own: a booked guest goes by the name they booked under.
  const name = q ? shopperName(booking && !q.context.member ? booking.name : ring.from.name) : ring.from.name || 'Unknown caller';
  const transfer = q?.context.transfer;
  const what = transfer
    ? transfer.mode === 'queue'
      ? `Transferred from ${transfer.fromStore} by ${transfer.from}`
      : `Transfer from ${transfer.from}`
    : q
      ? `${offer?.avatar ? 'Call' : ring.video ? 'Video call' : 'Voice call'} from ${q.store.name}`
      : 'Incoming call';
  const who = offer?.avatar ? 'Behind an avatar: you can ask for live video once connected.' : q?.context.member ? 'Signed-in member' : q ? 'Guest shopper' : ring.from.display ?? '';

  return (
    <IncomingCallCard
      callId={ring.callId}
      classes={deskCard}
      testid="incoming-call"
      entryId={q?.entryId ?? ''}
      announce={booked ? `${booked}: ${name}.` : `${what}: ${name}.`}
      face={
        <div class="ring-pulse" aria-hidden="true">
          <span class="ring-face">
            <UserIcon size={30} />
          </span>
        </div>
      }
      kicker={what}
      name={name}
      note={
        transfer ? (
          <>
            <span class="desk-ring-transfer" data-testid="ring-transfer">
              {transfer.mode === 'warm' ? `${transfer.from} wants to talk to you first` : `${transfer.from} hands ${name} to you`}
              {transfer.reason ? `: “${transfer.reason}”` : ''}
            </span>
            <span>{who}</span>
          </>
        ) : booking ? (
          <>
            <span class={`desk-ring-booked${booking.agentId === me ? ' is-mine' : ''}`} data-testid="ring-booking">
              {booked}
              {booking.name && booking.name !== name ? ` · booked as ${booking.name}` : ''}
            </span>
            <span class="desk-ring-booked-who">{who}</span>
          </>
        ) : (
          who
        )
      }
      aside={
        <div
          class="ring-timer"
          role="timer"
          aria-label={`${Math.ceil(left)} seconds to answer`}
          style={{ '--left': `${(left / total) * 100}%` }}
        >
          <span class="ring-seconds">{Math.ceil(left)}</span>
          <span class="ring-unit">s</span>
        </div>
      }
      actionsInMain
      actions={
        <>
          <button type="button" class="btn btn-answer" data-testid="answer" onClick={onAnswer}>
            <VideoIcon size={18} /> Answer
          </button>
          <button type="button" class="btn btn-decline" data-testid="decline" onClick={onDecline}>
            <HangUpIcon size={18} /> Decline
          </button>
        </>
      }
    >
      {q && (
        <div class="desk-ring-context">
          <CallContext context={q.context} name={booking && !q.context.member ? name : ring.from.name} storeSlug={q.store.slug} />
        </div>
      )}
    </IncomingCallCard>
  );
}
