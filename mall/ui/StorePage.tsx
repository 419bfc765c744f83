import { useEffect } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { api, type Store } from '../../backend/web/ui/api';
import { ArrowLeftIcon } from '../../backend/web/ui/icons';
import { BuildingArt, shade } from './Skyline';
import { plural } from './format';
import { linkClick } from './router';
import { ErrorCard } from './ErrorCard';
import { ProductCard } from './ProductCard';
import { useLoad } from './useLoad';
import type { MallStore } from './shopApi';
import { QueueBadge, useLiveStore } from './QueueState';
import { withLive } from './liveStores';
import { TalkButton } from './TalkButton';
import { BookCallButton } from './BookCall';
import { VisitorsRow, type WithVisitors } from './Visitors';

/** StoreBanner is the store's sign: brand colour, name and tagline. */
export function StoreBanner({ store, children }: { store: Store; children?: ComponentChildren }) {
  const c = store.brandColor || '#5b3df5';
  return (
    <section
      class="store-banner"
      style={{ background: `linear-gradient(120deg, ${shade(c, -0.25)} 0%, ${c} 60%, ${shade(c, 0.15)} 100%)` }}
    >
      <div class="store-banner-text">
        <a class="back-link" href="/" onClick={linkClick('/')}>
          <ArrowLeftIcon size={16} /> Downtown
        </a>
        <h1 class="store-title">{store.name}</h1>
        <p class="store-lead">{store.tagline}</p>
        {children}
      </div>
      <BuildingArt store={store} />
    </section>
  );
}

/** StorePage lists a store's departments and their products. */
export function StorePage({ slug }: { slug: string }) {
  const load = useLoad(`store:${slug}`, () => api.store(slug));
  useEffect(() => {
    if (load.state === 'done') document.title = `${load.data.store.name} — livemall`;
  }, [load]);
  const liveNow = useLiveStore(slug);

  if (load.state === 'loading') return <div class="banner-skeleton" aria-busy="true" aria-label="Loading the store" />;
  if (load.state === 'error') {
    return <ErrorCard title={load.notFound ? 'This store is not in the mall' : 'The store did not load'} message={load.message} />;
  }
  const { store, departments } = load.data;
  const live: MallStore = withLive(store as MallStore, liveNow);
  const total = departments.reduce((n, d) => n + d.products.length, 0);
  return (
    <>
      <StoreBanner store={store}>
        <p class="store-stats">
          {plural(departments.length, 'department', 'departments')} · {plural(total, 'product', 'products')}
          {(live.shoppersInside ?? 0) > 0 && <> · {live.shoppersInside} inside now</>}
          {live.agentsOnline !== undefined && (
            <> · {live.agentsOnline > 0 ? `${plural(live.agentsOnline, 'agent', 'agents')} online` : 'no agents online'}</>
          )}
        </p>
        <VisitorsRow visitors={liveNow?.visitors ?? (store as WithVisitors).visitors ?? []} />
        <div class="store-talk">
          <QueueBadge queue={live.queue} long />
          <TalkButton store={live} />
          <BookCallButton store={live} />
        </div>
      </StoreBanner>
      {departments.length > 1 && (
        <nav class="dept-nav" aria-label="Departments">
          {departments.map((d) => (
            <a key={d.name} href={`#dept-${encodeURIComponent(d.name)}`}>
              {d.name}
            </a>
          ))}
        </nav>
      )}
      {departments.length === 0 && (
        <div class="card empty">
          <h2>Shelves are being stocked</h2>
          <p class="muted">{store.name} has no products on show yet.</p>
        </div>
      )}
      <div class="departments">
        {departments.map((d) => (
          <section
            key={d.name}
            class="department"
            id={`dept-${encodeURIComponent(d.name)}`}
            aria-labelledby={`h-${d.name}`}
            style={{ '--span': String(Math.max(1, Math.min(d.products.length, 4))) }}
          >
            <div class="section-head">
              <h2 id={`h-${d.name}`}>{d.name}</h2>
              <span class="muted">{plural(d.products.length, 'product', 'products')}</span>
            </div>
            <div class="product-grid">
              {d.products.map((p) => (
                <ProductCard key={p.sku} store={store} product={p} />
              ))}
            </div>
          </section>
        ))}
      </div>
    </>
  );
}
