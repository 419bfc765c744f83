// StoreQueue: who waits in the store's queue, for how long and for which
// product, and who asked to be called back. It reloads whenever
// queue.changed arrives (version grows) and ticks the wait times between.

import { useEffect, useRef, useState } from 'preact/hooks';
import { HeadsetIcon } from '../../backend/web/ui/icons';
import { errorMessage } from '../../backend/web/ui/session';
import { shopperName, useNow } from './CallContext';
import { clock, deskApi, type StoreQueueView } from './deskApi';
import { formatMoney } from '../../backend/web/ui/money';

export interface StoreQueueProps {
  storeName: string;
  /** version changes whenever the queue may have changed. */
  version: number;
}

/** StoreQueue is the queue tile of the desk. */
export function StoreQueue({ storeName, version }: StoreQueueProps) {
  const [queue, setQueue] = useState<StoreQueueView | null>(null);
  const [loadedAt, setLoadedAt] = useState(Date.now());
  const [error, setError] = useState('');
  const seq = useRef(0);

  useEffect(() => {
    const n = ++seq.current;
    deskApi
      .queue()
      .then((q) => {
        if (n !== seq.current) return;
        setQueue({ waiting: q.waiting ?? [], callbacks: q.callbacks ?? [] });
        setLoadedAt(Date.now());
        setError('');
      })
      .catch((e) => n === seq.current && setError(errorMessage(e)));
  }, [version]);

  const waiting = queue?.waiting ?? [];
  const callbacks = queue?.callbacks ?? [];
  const now = useNow(waiting.length > 0, 1000);
  const extra = (now - loadedAt) / 1000;

  return (
    <section class="tile desk-queue" aria-labelledby="queue-title" data-testid="store-queue" data-waiting={waiting.length}>
      <div class="tile-head">
        <HeadsetIcon size={20} />
        <h2 id="queue-title">Queue</h2>
        {waiting.length > 0 && <span class="count-pill">{waiting.length}</span>}
      </div>
      {error && <p class="status status-error small">{error}</p>}
      {waiting.length === 0 ? (
        <>
          <p class="tile-big">No shoppers waiting</p>
          <p class="muted small">Shoppers who press “Talk to a sales agent” in {storeName} line up here.</p>
        </>
      ) : (
        <ol class="queue-list">
          {waiting.map((w) => (
            <li key={w.entryId} class="queue-item">
              <span class="queue-pos" aria-label={`Position ${w.position}`}>
                {w.position}
              </span>
              <span class="queue-who">
                <span class="queue-name">
                  {shopperName(w.name)} <span class={`badge ${w.member ? 'badge-member' : 'badge-guest'}`}>{w.member ? 'Member' : 'Guest'}</span>
                  {w.state === 'offered' && <span class="badge badge-ringing">Ringing</span>}
                </span>
                {w.product && (
                  <span class="queue-product muted small">
                    {w.product.name}
                    {typeof w.product.priceMinor === 'number' && ` · ${formatMoney(w.product.priceMinor, w.product.currency)}`}
                  </span>
                )}
              </span>
              <span class={`queue-wait${w.waitedSeconds + extra > 60 ? ' is-long' : ''}`} aria-label="Waiting for">
                {clock(w.waitedSeconds + extra)}
              </span>
            </li>
          ))}
        </ol>
      )}
      {callbacks.length > 0 && (
        <>
          <h3 class="queue-sub">Asked for a call back</h3>
          <ul class="queue-list">
            {callbacks.map((c) => (
              <li key={c.entryId} class="queue-item">
                <span class="queue-who">
                  <span class="queue-name">{shopperName(c.name)}</span>
                  {c.product && <span class="queue-product muted small">{c.product.name}</span>}
                </span>
                <span class="muted small">{c.display ?? (c.guest ? 'Guest' : '')}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
