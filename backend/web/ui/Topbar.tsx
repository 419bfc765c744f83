// Topbar: the livemall wordmark, the app's name and a right-hand slot.

import type { ComponentChildren } from 'preact';

export interface TopbarProps {
  /** app is the current app's name next to the wordmark ("desk", "phone"); none for the mall. */
  app?: string;
  /** home is where the wordmark links to. */
  home: string;
  onHome?(e: MouseEvent): void;
  /** current marks which app's link is the page the user is on. */
  current: 'mall' | 'phone' | 'desk';
  children?: ComponentChildren;
}

/** Logo is the livemall mark: three buildings in a rounded tile. */
export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false" class="logo">
      <rect width="32" height="32" rx="8" fill="var(--accent)" />
      <rect x="6" y="14" width="6" height="12" rx="1" fill="#fff" opacity="0.75" />
      <rect x="13" y="7" width="6" height="19" rx="1" fill="#fff" />
      <rect x="20" y="11" width="6" height="15" rx="1" fill="#fff" opacity="0.85" />
    </svg>
  );
}

/** Topbar renders the sticky page header. */
export function Topbar(props: TopbarProps) {
  return (
    <header class="topbar">
      <div class="topbar-inner">
        <a class="brand" href={props.home} onClick={props.onHome}>
          <Logo />
          <span class="brand-name">livemall</span>
          {props.app && <span class="brand-app">{props.app}</span>}
        </a>
        <nav class="topnav" aria-label="livemall apps">
          <a href="/" aria-current={props.current === 'mall' ? 'page' : undefined}>
            Mall
          </a>
          <a href="/phone/" aria-current={props.current === 'phone' ? 'page' : undefined}>
            Phone
          </a>
          <a href="/desk/" aria-current={props.current === 'desk' ? 'page' : undefined}>
            Desk
          </a>
        </nav>
        <div class="topbar-right">{props.children}</div>
      </div>
    </header>
  );
}
