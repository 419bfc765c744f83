// CallStack: the one place on the mall's pages where the call lives — the
// co-browse consent or banner above the call panel. It never lies over the
// page: on wide screens it is a column beside the content (the page narrows
// by its width), on narrow ones a bar at the bottom whose height the page
// keeps free (padding and scroll padding, measured as it changes). Its parts
// stack inside it, so they never cover each other either.

import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/** wideQuery is when the call stack is a column beside the content (mall.css says the same). */
export const wideQuery = '(min-width: 1100px)';

/** CallStack holds the page's call parts (CobrowseBanner, TalkDock) and keeps the page clear of them. */
export function CallStack({ children }: { children: ComponentChildren }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const box = el.current;
    if (!box) return;
    const root = document.documentElement;
    // mall.css reads the height to keep the foot of the page clear of the bar.
    const measure = () => root.style.setProperty('--call-stack-h', `${Math.ceil(box.getBoundingClientRect().height)}px`);
    const ro = new ResizeObserver(measure);
    ro.observe(box);
    measure();
    return () => {
      ro.disconnect();
      root.style.removeProperty('--call-stack-h');
    };
  }, []);
  return (
    <div class="call-stack" ref={el} data-testid="call-stack">
      {children}
    </div>
  );
}
