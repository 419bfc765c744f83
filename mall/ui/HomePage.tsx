import { useEffect } from 'preact/hooks';
import { api, type Store } from '../../backend/web/ui/api';
import { plural } from './format';
import { linkClick, storePath } from './router';
import { Skyline } from './Skyline';
import { useLoad } from './useLoad';
import { ErrorCard } from './ErrorCard';

/** HomePage is downtown: the skyline and the list of stores. */
export function HomePage() {
  const load = useLoad('stores', api.stores);
  useEffect(() => {
    document.title = 'livemall — downtown';
  }, []);

  return (
    <>
      <section class="hero">
        <p class="eyebrow">Downtown</p>
        <h1 class="hero-title">Every building is a store, with people inside.</h1>
        <p class="hero-lead">Walk in, browse the shelves and talk face to face with a sales agent who knows the products.</p>
      </section>

      {load.state === 'loading' && <div class="skyline-skeleton" aria-busy="true" aria-label="Loading the skyline" />}
      {load.state === 'error' && <ErrorCard title="The skyline did not load" message={load.message} />}
      {load.state === 'done' &&
        (load.data.length === 0 ? (
          <div class="card empty">
            <h2>Downtown is still under construction</h2>
            <p class="muted">No stores have opened yet. Come back soon.</p>
          </div>
        ) : (
          <>
            <Skyline stores={load.data} />
            <StoreList stores={load.data} />
          </>
        ))}
    </>
  );
}

function StoreList({ stores }: { stores: Store[] }) {
  return (
    <section class="store-list" aria-labelledby="stores-title">
      <div class="section-head">
        <h2 id="stores-title">Stores</h2>
        <span class="muted">{plural(stores.length, 'store', 'stores')} open</span>
      </div>
      <ul class="store-grid">
        {stores.map((s) => {
          const to = storePath(s.slug);
          return (
            <li key={s.slug} class="store-card" style={{ '--brand': s.brandColor }}>
              <span class="store-swatch" aria-hidden="true" />
              <div>
                <h3 class="store-name">
                  <a href={to} onClick={linkClick(to)}>
                    {s.name}
                  </a>
                </h3>
                <p class="muted small store-tagline">{s.tagline}</p>
                <p class="small store-count">{plural(s.productCount, 'product', 'products')}</p>
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
