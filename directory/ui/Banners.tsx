// Banners across the top of the phone: email verification.

import { useState } from 'preact/hooks';
import { CheckIcon, CloseIcon } from '../../backend/web/ui/icons';
import { errorMessage } from '../../backend/web/ui/session';
import { directoryApi } from './directoryApi';

/** VerifyResult is the outcome of following a /phone/?verify= link. */
export type VerifyResult = { kind: 'busy' } | { kind: 'ok' } | { kind: 'error'; message: string };

/** VerifyOutcome reports what happened to the verification link. */
export function VerifyOutcome({ result, onDismiss }: { result: VerifyResult; onDismiss(): void }) {
  if (result.kind === 'busy') {
    return (
      <div class="banner banner-info" role="status">
        <span class="spinner" aria-hidden="true" />
        <p>Verifying your email address…</p>
      </div>
    );
  }
  return (
    <div class={`banner ${result.kind === 'ok' ? 'banner-ok' : 'banner-error'}`} role={result.kind === 'ok' ? 'status' : 'alert'}>
      {result.kind === 'ok' && <CheckIcon size={20} />}
      <p>
        {result.kind === 'ok' ? (
          <>
            <strong>Your email address is verified.</strong> Members can now find you in the directory.
          </>
        ) : (
          <>
            <strong>That verification link did not work.</strong> {result.message}
          </>
        )}
      </p>
      <button type="button" class="icon-btn" aria-label="Dismiss" onClick={onDismiss}>
        <CloseIcon size={18} />
      </button>
    </div>
  );
}

/** UnverifiedBanner asks the member to verify their email, with a resend button. */
export function UnverifiedBanner({ email }: { email: string }) {
  const [state, setState] = useState<{ kind: 'idle' | 'busy' | 'sent' | 'error'; text?: string }>({ kind: 'idle' });
  async function resend() {
    setState({ kind: 'busy' });
    try {
      await directoryApi.resend();
      setState({ kind: 'sent' });
    } catch (e) {
      setState({ kind: 'error', text: errorMessage(e) });
    }
  }
  return (
    <div class="banner banner-warn unverified-banner" role="region" aria-label="Email not verified">
      <span class="banner-icon" aria-hidden="true">
        ✉
      </span>
      <p>
        <strong>Unverified — check your mail.</strong> We sent a link to <strong>{email}</strong>. You are listed in
        the directory once you follow it.
        {state.kind === 'sent' && <span class="banner-note"> A new link is on its way.</span>}
        {state.kind === 'error' && <span class="banner-note banner-note-error"> {state.text}</span>}
      </p>
      <button type="button" class="btn btn-secondary btn-sm" onClick={resend} disabled={state.kind === 'busy' || state.kind === 'sent'}>
        {state.kind === 'busy' ? 'Sending…' : state.kind === 'sent' ? 'Sent' : 'Resend the link'}
      </button>
    </div>
  );
}
