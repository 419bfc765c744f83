// IncomingCalls: the ringing card (who calls, answer with video or voice,
// decline), a soft ring while it rings, and a "missed call" note after.

import { useEffect } from 'preact/hooks';
import { CloseIcon, HangUpIcon, MicIcon, PhoneMissedIcon, VideoIcon } from '../../backend/web/ui/icons';
import { initials } from '../../backend/web/ui/session';
import type { CallClient, CallSnapshot } from '../../media/client/call';

/** startRing plays a two-tone ring every 3 s with Web Audio; it returns the stop. */
function startRing(): () => void {
  let ctx: AudioContext | null = null;
  try {
    ctx = new AudioContext();
  } catch {
    return () => {};
  }
  const audio = ctx;
  const burst = () => {
    if (audio.state === 'suspended') void audio.resume().catch(() => {});
    const t0 = audio.currentTime + 0.05;
    for (let i = 0; i < 2; i++) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'sine';
      osc.frequency.value = i === 0 ? 880 : 660;
      const at = t0 + i * 0.45;
      gain.gain.setValueAtTime(0, at);
      gain.gain.linearRampToValueAtTime(0.12, at + 0.03);
      gain.gain.setValueAtTime(0.12, at + 0.32);
      gain.gain.linearRampToValueAtTime(0, at + 0.4);
      osc.connect(gain).connect(audio.destination);
      osc.start(at);
      osc.stop(at + 0.42);
    }
  };
  burst();
  const t = setInterval(burst, 3000);
  return () => {
    clearInterval(t);
    void audio.close().catch(() => {});
  };
}

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

/** IncomingCalls shows each call ringing this device, newest last. */
export function IncomingCalls({ snap, client }: { snap: CallSnapshot; client: CallClient }) {
  const ringing = snap.incoming.length > 0;
  useEffect(() => {
    if (!ringing) return;
    return startRing();
  }, [ringing]);

  const missed = snap.missed;
  return (
    <div class="incoming-stack">
      {/* Screen readers hear the ring at once. */}
      <p class="sr-only" role="status" aria-live="assertive">
        {snap.incoming.map((i) => `${i.video ? 'Incoming video call' : 'Incoming call'} from ${i.from.name}. `).join('')}
      </p>
      {snap.incoming.map((i) => (
        <section
          key={i.callId}
          class="incoming-card"
          role="alertdialog"
          aria-labelledby={`in-${i.callId}`}
          aria-describedby={`in-${i.callId}-d`}
          data-call-id={i.callId}
        >
          <div class="incoming-top">
            <div class="call-avatar-ring is-ringing incoming-ring" aria-hidden="true">
              <span class="avatar call-avatar">{initials(i.from.name)}</span>
            </div>
            <div class="incoming-text">
              <p class="call-eyebrow">{i.video ? 'Incoming video call' : 'Incoming call'}</p>
              <h2 id={`in-${i.callId}`} class="incoming-name">
                {i.from.name}
              </h2>
              <p id={`in-${i.callId}-d`} class="incoming-number mono">
                {i.from.display ?? 'No number'}
              </p>
            </div>
          </div>
          {snap.call && snap.call.phase !== 'ended' && (
            <p class="incoming-warn small">Answering ends your current call.</p>
          )}
          <div class="incoming-actions">
            <button
              type="button"
              class="btn btn-answer"
              aria-label="Answer with video"
              onClick={() => client.answer(i.callId, true)}
            >
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
          </div>
        </section>
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
