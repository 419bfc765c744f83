// SignOrder: the shopper signs the order summary with their passkey. The
// server binds the WebAuthn challenge to a hash of the order's lines and
// totals, so the signature covers exactly what is shown here.

import { useState } from 'preact/hooks';
import { ApiError } from '../../backend/web/ui/api';
import { KeyIcon } from '../../backend/web/ui/icons';
import { errorMessage } from '../../backend/web/ui/session';
import { capitalize } from './AddToCart';
import { formatMoney } from '../../backend/web/ui/money';
import { shop, type Order } from './shopApi';

/** fromB64url decodes unpadded base64url into bytes. */
export function fromB64url(s: string): ArrayBuffer {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

/** toB64url encodes bytes as unpadded base64url. */
export function toB64url(buf: ArrayBuffer | null): string {
  if (!buf) return '';
  const bytes = new Uint8Array(buf);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** requestOptions turns the server's JSON options into what navigator.credentials.get takes. */
function requestOptions(o: PublicKeyCredentialRequestOptionsJSON): PublicKeyCredentialRequestOptions {
  return {
    challenge: fromB64url(o.challenge),
    rpId: o.rpId,
    timeout: o.timeout,
    userVerification: (o.userVerification ?? 'required') as UserVerificationRequirement,
    allowCredentials: (o.allowCredentials ?? []).map((c) => ({
      type: 'public-key' as const,
      id: fromB64url(c.id),
      transports: c.transports as AuthenticatorTransport[] | undefined,
    })),
  };
}

/** assertionJSON is the credential as the server reads it (PublicKeyCredential.toJSON()). */
function assertionJSON(cred: PublicKeyCredential) {
  const r = cred.response as AuthenticatorAssertionResponse;
  return {
    id: cred.id,
    rawId: toB64url(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment ?? undefined,
    clientExtensionResults: cred.getClientExtensionResults(),
    response: {
      clientDataJSON: toB64url(r.clientDataJSON),
      authenticatorData: toB64url(r.authenticatorData),
      signature: toB64url(r.signature),
      userHandle: r.userHandle ? toB64url(r.userHandle) : undefined,
    },
  };
}

/** signWithPasskey asks the browser's authenticator to sign the challenge. */
export async function signWithPasskey(options: PublicKeyCredentialRequestOptionsJSON): Promise<unknown> {
  if (typeof window.PublicKeyCredential !== 'function' || !window.isSecureContext) {
    throw new ApiError(0, 'unavailable', 'This browser cannot use passkeys. Try a current Chrome, Edge, Safari or Firefox.');
  }
  try {
    const cred = (await navigator.credentials.get({ publicKey: requestOptions(options) })) as PublicKeyCredential | null;
    if (!cred) throw new ApiError(0, 'unauthorized', 'No passkey was chosen.');
    return assertionJSON(cred);
  } catch (e) {
    if (e instanceof ApiError) throw e;
    if (e instanceof DOMException && (e.name === 'NotAllowedError' || e.name === 'AbortError')) {
      throw new ApiError(0, 'unauthorized', 'The passkey request was cancelled or timed out, so the order is not signed. Try again when ready.');
    }
    if (e instanceof DOMException && e.name === 'SecurityError') {
      throw new ApiError(0, 'forbidden', 'Passkeys are not allowed on this address. Open livemall from its public URL.');
    }
    throw new ApiError(0, 'internal', `Passkey error: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** SignOrder shows what is being signed and signs it with the shopper's passkey. */
export function SignOrder({ order, onSigned }: { order: Order; onSigned(o: Order): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [hash, setHash] = useState('');

  const sign = async () => {
    setBusy(true);
    setError('');
    try {
      const begun = await shop.signBegin(order.id);
      setHash(begun.orderHash);
      const credential = await signWithPasskey(begun.options.publicKey);
      onSigned(await shop.signFinish(order.id, begun.ceremony, credential));
    } catch (e) {
      setError(errorMessage(e));
      // The order may have changed or moved meanwhile: show where it stands.
      shop.order(order.id).then((o) => o.state !== order.state && onSigned(o), () => {});
    } finally {
      setBusy(false);
    }
  };

  const items = order.lines.reduce((n, l) => n + l.quantity, 0);
  return (
    <div class="sign-order" role="group" aria-labelledby="sign-title">
      <div class="sign-head">
        <span class="sign-icon" aria-hidden="true">
          <KeyIcon size={20} />
        </span>
        <div>
          <p id="sign-title" class="sign-title">
            Sign with your passkey
          </p>
          <p class="small muted">
            This order must carry your signature before you pay. Your passkey signs exactly this summary:
          </p>
        </div>
      </div>
      <dl class="sign-summary">
        <div>
          <dt>Store</dt>
          <dd>{order.store.name}</dd>
        </div>
        <div>
          <dt>Items</dt>
          <dd>
            {order.lines.map((l) => (
              <span key={l.sku} class="sign-line">
                {l.quantity} × {l.name}
              </span>
            ))}
          </dd>
        </div>
        <div>
          <dt>Total</dt>
          <dd>
            <span class="price">{formatMoney(order.totalMinor, order.currency)}</span>{' '}
            <span class="muted small">
              ({items} {items === 1 ? 'item' : 'items'}, VAT included)
            </span>
          </dd>
        </div>
        {hash && (
          <div>
            <dt>Fingerprint</dt>
            <dd class="mono small sign-hash" title={hash}>
              {hash.slice(0, 16)}…
            </dd>
          </div>
        )}
      </dl>
      <button type="button" class="btn btn-primary btn-block btn-checkout" disabled={busy} onClick={sign}>
        {busy && <span class="spinner" aria-hidden="true" />}
        {busy ? 'Waiting for your passkey…' : 'Sign with your passkey'}
      </button>
      {error && (
        <p class="status status-error" role="alert">
          {capitalize(error.replace(/\.$/, ''))}.
        </p>
      )}
    </div>
  );
}
