// CallIncoming: a shopper offered to this agent. The card pulses and rings
// (a short two-tone with Web Audio) and counts down the seconds the offer
// stands; it shows who calls and what they were looking at, with Answer and
// Decline. Letting it ring out sets the agent away (the server decides).

import { useEffect } from 'preact/hooks';
import { HangUpIcon, UserIcon, VideoIcon } from '../../backend/web/ui/icons';
import type { IncomingCall } from '../../media/client/call';
import { CallContext, shopperName, useNow } from './CallContext';

/** ringTone plays a soft two-tone every 2.5 s; it returns the stop. */
function ringTone(): () => void {
  let ctx: AudioContext;
  try {
    ctx = new AudioContext();
  } catch {
    return () => {};
  }
  const burst = () => {
    if (ctx.state === 'suspended') void ctx.resume().catch(() => {});
    const t0 = ctx.currentTime + 0.05;
    [988, 784].forEach((freq, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = freq;
      const at = t0 + i * 0.3;
      gain.gain.setValueAtTime(0, at);
      gain.gain.linearRampToValueAtTime(0.1, at + 0.03);
      gain.gain.linearRampToValueAtTime(0, at + 0.26);
      osc.connect(gain).connect(ctx.destination);
      osc.start(at);
      osc.stop(at + 0.28);
    });
  };
  burst();
  const t = setInterval(burst, 2500);
  return () => {
    clearInterval(t);
    void ctx.close().catch(() => {});
  };
}

export interface CallIncomingProps {
  ring: IncomingCall;
  onAnswer(): void;
  onDecline(): void;
}

/** CallIncoming is the ringing card with the shopper's context. */
export function CallIncoming({ ring, onAnswer, onDecline }: CallIncomingProps) {
  const offer = { queue: ring.queue, avatar: ring.avatar };
  const now = useNow(true, 250);
  useEffect(() => ringTone(), []);
  const q = offer?.queue;
  const total = q?.ringSeconds || 15;
  const left = Math.max(0, total - (now - ring.at) / 1000);
  const name = q ? shopperName(ring.from.name) : ring.from.name || 'Unknown caller';
  const what = q ? `${offer?.avatar ? 'Call' : ring.video ? 'Video call' : 'Voice call'} from ${q.store.name}` : 'Incoming call';

  return (
    <section
      class="desk-ring"
      data-testid="incoming-call"
      data-call-id={ring.callId}
      data-entry-id={q?.entryId ?? ''}
      role="alertdialog"
      aria-labelledby={`ring-${ring.callId}`}
      aria-describedby={`ring-${ring.callId}-d`}
    >
      <p class="sr-only" role="status" aria-live="assertive">
        {what}: {name}.
      </p>
      <div class="desk-ring-main">
        <div class="desk-ring-who">
          <div class="ring-pulse" aria-hidden="true">
            <span class="ring-face">
              <UserIcon size={30} />
            </span>
          </div>
          <div class="desk-ring-text">
            <p class="call-kicker">{what}</p>
            <h2 id={`ring-${ring.callId}`} class="desk-ring-name">
              {name}
            </h2>
            <p id={`ring-${ring.callId}-d`} class="desk-ring-note">
              {offer?.avatar ? 'Behind an avatar: you can ask for live video once connected.' : q?.context.member ? 'Signed-in member' : q ? 'Guest shopper' : ring.from.display ?? ''}
            </p>
          </div>
        </div>
        <div
          class="ring-timer"
          role="timer"
          aria-label={`${Math.ceil(left)} seconds to answer`}
          style={{ '--left': `${(left / total) * 100}%` }}
        >
          <span class="ring-seconds">{Math.ceil(left)}</span>
          <span class="ring-unit">s</span>
        </div>
        <div class="desk-ring-actions">
          <button type="button" class="btn btn-answer" data-testid="answer" onClick={onAnswer}>
            <VideoIcon size={18} /> Answer
          </button>
          <button type="button" class="btn btn-decline" data-testid="decline" onClick={onDecline}>
            <HangUpIcon size={18} /> Decline
          </button>
        </div>
      </div>
      {q && (
        <div class="desk-ring-context">
          <CallContext context={q.context} name={ring.from.name} storeSlug={q.store.slug} />
        </div>
      )}
    </section>
  );
}
