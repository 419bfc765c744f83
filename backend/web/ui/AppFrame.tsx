// AppFrame: the frame the desk and the phone share around their views.

import type { ComponentChildren } from 'preact';
import { AccountChip } from './AccountChip';
import type { Account } from './api';
import { Footer } from './Footer';
import { Topbar } from './Topbar';

export interface AppFrameProps {
  /** app names the app in the top bar and marks its link ("desk", "phone"). */
  app: 'desk' | 'phone';
  account: Account | null;
  /** mainClass is the class of the main element ("page" when not given). */
  mainClass?: string;
  /** error is the session's error, shown as an alert below the view. */
  error?: string | null;
  /** footer is the app's line in the footer. */
  footer: string;
  children?: ComponentChildren;
}

/** AppFrame renders the skip link, the top bar with the account chip, the main view with the session's error, and the footer. */
export function AppFrame({ app, account, mainClass = 'page', error, footer, children }: AppFrameProps) {
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Topbar app={app} home={`/${app}/`} current={app}>
        <AccountChip account={account} />
      </Topbar>
      <main id="main" class={mainClass}>
        {children}
        {error && (
          <p class="status status-error" role="alert">
            {error}
          </p>
        )}
      </main>
      <Footer note={footer} />
    </>
  );
}
