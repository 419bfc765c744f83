// StripeCard collects the card for a Stripe payment with Stripe.js: the
// server created the PaymentIntent (with its idempotency key) and handed over
// its client secret; Stripe's Payment Element takes the card details in
// Stripe's own frame (they never touch the mall), confirmPayment completes
// it, and the order is confirmed from Stripe's webhook — the order page
// follows its state.
//
// Stripe.js is fetched only here, when the server answered a payment with a
// Stripe client secret: the pure entry point injects no script on import
// (the main one would, on every mall page, even in offline mode), and it is
// itself imported on demand, so offline stores never load it.

import type { Stripe, StripeElements } from '@stripe/stripe-js';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { PaymentStart } from './shopApi';

export interface StripeCardProps {
  payment: PaymentStart;
  /** onPaid is called once Stripe says the payment went through (the webhook confirms the order). */
  onPaid(): void;
}

/** StripeCard mounts Stripe's Payment Element and pays with it. */
export function StripeCard({ payment, onPaid }: StripeCardProps) {
  const mount = useRef<HTMLDivElement>(null);
  const [stripe, setStripe] = useState<Stripe | null>(null);
  const [elements, setElements] = useState<StripeElements | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'paying' | 'done'>('loading');
  const [error, setError] = useState('');

  useEffect(() => {
    let cancelled = false;
    import('@stripe/stripe-js/pure')
      .then(({ loadStripe }) => loadStripe(payment.publishableKey))
      .then((s) => {
        if (cancelled) return;
        if (!s || !mount.current) throw new Error('Stripe did not load');
        const els = s.elements({ clientSecret: payment.clientSecret });
        els.create('payment').mount(mount.current);
        setStripe(s);
        setElements(els);
        setState('ready');
      })
      .catch(() => !cancelled && setError('Card entry could not load from Stripe: check your connection and reload the page'));
    return () => {
      cancelled = true;
    };
  }, [payment.publishableKey, payment.clientSecret]);

  async function pay(e: Event) {
    e.preventDefault();
    if (!stripe || !elements) return;
    setState('paying');
    setError('');
    const res = await stripe.confirmPayment({ elements, confirmParams: { return_url: location.href }, redirect: 'if_required' });
    if (res.error) {
      setError(res.error.message ?? 'The payment did not go through');
      setState('ready');
      return;
    }
    setState('done');
    onPaid();
  }

  return (
    <form class="stripe-card" onSubmit={pay} aria-busy={state === 'loading' || state === 'paying'}>
      <div ref={mount} class="stripe-element" data-testid="stripe-element" />
      {state === 'loading' && !error && <p class="hint">Loading secure card entry…</p>}
      {error && (
        <p class="status status-error" role="alert">
          {error}.
        </p>
      )}
      {state === 'done' ? (
        <p class="status status-ok" role="status">
          Payment received: confirming your order…
        </p>
      ) : (
        <button type="submit" class="btn btn-primary btn-block" disabled={state !== 'ready'}>
          {state === 'paying' ? 'Paying…' : 'Pay with card'}
        </button>
      )}
    </form>
  );
}
