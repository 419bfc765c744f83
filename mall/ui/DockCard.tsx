// DockCard: a card inside the call panel, under the call (TalkDock's
// children): a credit application to fill in, a notice about the order. The
// panel stays one container; the cards stack in it and never lie over the
// page or each other.

import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { useTalkSession } from './talkSession';

export interface DockCardProps {
  /** title heads the card (it also names it for screen readers). */
  title: string;
  /** tone colours the card: plain, ok (done, approved) or warn (refused, needs care). */
  tone?: 'plain' | 'ok' | 'warn';
  /** attention opens a folded panel when it turns true: the shopper has to answer or read this. */
  attention?: boolean;
  testid?: string;
  children?: ComponentChildren;
}

/** DockCard is one card in the call panel's card slot. */
export function DockCard({ title, tone = 'plain', attention = false, testid, children }: DockCardProps) {
  const talk = useTalkSession();
  useEffect(() => {
    if (attention) talk.setMinimized(false);
  }, [attention]);
  return (
    <section class={`dock-card tone-${tone}`} aria-label={title} data-testid={testid}>
      <h3 class="dock-card-title">{title}</h3>
      {children}
    </section>
  );
}
