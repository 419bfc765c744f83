// The incoming-call card every app shows while a call rings this device: the
// phone's member call, the desk's offered shopper, the mall's call back. One
// alert dialog (who calls, a note, the app's buttons) and one ring tone; each
// app names its classes and words.

import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';

/**
 * RingTone is a two-tone ring: the two pitches (Hz), their spacing and length
 * (s), how long each holds full volume (s), how often (ms) and how loud.
 */
export interface RingTone {
  tones: [number, number];
  spacing: number;
  length: number;
  hold?: number;
  every: number;
  volume: number;
}

/** startRing plays tone with Web Audio until the returned stop is called. */
export function startRing(tone: RingTone): () => void {
  let audio: AudioContext;
  try {
    audio = new AudioContext();
  } catch {
    return () => {};
  }
  const burst = () => {
    if (audio.state === 'suspended') void audio.resume().catch(() => {});
    const t0 = audio.currentTime + 0.05;
    tone.tones.forEach((freq, i) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      const at = t0 + i * tone.spacing;
      gain.gain.setValueAtTime(0, at);
      gain.gain.linearRampToValueAtTime(tone.volume, at + 0.03);
      if (tone.hold) gain.gain.setValueAtTime(tone.volume, at + tone.hold);
      gain.gain.linearRampToValueAtTime(0, at + tone.length);
      osc.connect(gain).connect(audio.destination);
      osc.start(at);
      osc.stop(at + tone.length + 0.02);
    });
  };
  burst();
  const t = setInterval(burst, tone.every);
  return () => {
    clearInterval(t);
    void audio.close().catch(() => {});
  };
}

/** useRingTone rings while on. */
export function useRingTone(on: boolean, tone: RingTone): void {
  useEffect(() => (on ? startRing(tone) : undefined), [on, tone]);
}

/** IncomingCallClasses are the app's classes for the parts of the card. */
export interface IncomingCallClasses {
  card: string;
  /** main wraps who and aside (and the actions when actionsInMain); absent: no wrapper. */
  main?: string;
  who: string;
  text: string;
  kicker?: string;
  name: string;
  note?: string;
  actions: string;
}

export interface IncomingCallCardProps {
  callId: string;
  classes: IncomingCallClasses;
  /** face is the picture of the caller (initials, an icon, a pulse). */
  face: ComponentChildren;
  kicker?: ComponentChildren;
  name: ComponentChildren;
  /** nameAs is the name's element: a heading (default) or a paragraph. */
  nameAs?: 'h2' | 'p';
  note?: ComponentChildren;
  /** announce is read at once by screen readers; leave it out when the app announces the rings itself. */
  announce?: string;
  /** aside sits beside who (the desk's countdown). */
  aside?: ComponentChildren;
  /** before comes between who and the actions (a warning). */
  before?: ComponentChildren;
  actions: ComponentChildren;
  actionsInMain?: boolean;
  /** children come after everything (the desk's shopper context). */
  children?: ComponentChildren;
  testid?: string;
  entryId?: string;
}

/** IncomingCallCard is the ringing card of one call. */
export function IncomingCallCard(p: IncomingCallCardProps) {
  const { callId, classes: c } = p;
  const Name = p.nameAs ?? 'h2';
  const nameId = `ring-${callId}`;
  const noteId = p.note !== undefined ? `ring-${callId}-d` : undefined;
  const who = (
    <div class={c.who}>
      {p.face}
      <div class={c.text}>
        {p.kicker !== undefined && <p class={c.kicker}>{p.kicker}</p>}
        <Name id={nameId} class={c.name}>
          {p.name}
        </Name>
        {p.note !== undefined && (
          <p id={noteId} class={c.note}>
            {p.note}
          </p>
        )}
      </div>
    </div>
  );
  const actions = <div class={c.actions}>{p.actions}</div>;
  return (
    <section
      class={c.card}
      role="alertdialog"
      aria-labelledby={nameId}
      aria-describedby={noteId}
      data-call-id={callId}
      data-testid={p.testid}
      data-entry-id={p.entryId}
    >
      {p.announce !== undefined && (
        <p class="sr-only" role="status" aria-live="assertive">
          {p.announce}
        </p>
      )}
      {c.main ? (
        <div class={c.main}>
          {who}
          {p.aside}
          {p.actionsInMain && actions}
        </div>
      ) : (
        <>
          {who}
          {p.aside}
        </>
      )}
      {p.before}
      {!p.actionsInMain && actions}
      {p.children}
    </section>
  );
}
