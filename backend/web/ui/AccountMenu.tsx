// AccountMenu: a top-bar button that opens the AccountPanel in a popover.

import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { AccountPanel } from './AccountPanel';
import { CloseIcon } from './icons';
import { initials, type Session } from './session';

/** AccountMenu puts the account panel behind a button, for pages with content of their own. */
export function AccountMenu({ session, allowSignUp }: { session: Session; allowSignUp?: boolean }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const account = session.account;

  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        button.current?.focus();
      }
    };
    const onDown = (e: PointerEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onDown);
    // Move focus into the panel so keyboard users land on its first control.
    root.current?.querySelector<HTMLElement>('.account-popover button:not(.account-popover-close), .account-popover input')?.focus();
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onDown);
    };
  }, [open]);

  return (
    <div class="account-menu" ref={root}>
      <button
        ref={button}
        type="button"
        class={`account-menu-button ${account ? 'signed-in' : 'signed-out'}`}
        aria-expanded={open}
        aria-controls={`${id}-pop`}
        aria-label={account ? `Account: ${account.name}` : undefined}
        onClick={() => setOpen((o) => !o)}
        disabled={session.loading}
      >
        {account ? (
          <>
            <span class="avatar avatar-sm" aria-hidden="true">
              {initials(account.name)}
            </span>
            <span class="account-chip-name">{account.name}</span>
          </>
        ) : (
          'Sign in'
        )}
      </button>
      {open && (
        <div class="account-popover" id={`${id}-pop`} role="dialog" aria-label="Your account">
          <button type="button" class="icon-btn account-popover-close" aria-label="Close" onClick={() => setOpen(false)}>
            <CloseIcon size={18} />
          </button>
          <AccountPanel session={session} allowSignUp={allowSignUp} />
        </div>
      )}
    </div>
  );
}
