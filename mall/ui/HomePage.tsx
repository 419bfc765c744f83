import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage } from '../../backend/web/ui/session';
import { plural } from './format';
import { formatMoney } from '../../backend/web/ui/money';
import { linkClick, productPath, storePath } from './router';
import { Skyline } from './Skyline';
import { ErrorCard } from './ErrorCard';
import { shop, type MallStore, type ProductHit } from './shopApi';
import { PersonIcon, SearchIcon } from './shopIcons';
import { openText, QueueBadge } from './QueueState';
import { ProductName } from './ProductCard';
import { useLiveStores, withLive } from './liveStores';

type Stores = { state: 'loading' } | { state: 'error'; message: string } | { state: 'done'; stores: MallStore[] };
type Search = { q: string; stores: MallStore[]; products: ProductHit[] };

function initialQuery(): string {
  return new URLSearchParams(location.search).get('q') ?? '';
}

/** HomePage is downtown: the search box, the skyline and the list of stores. */
export function HomePage() {
  const [load, setLoad] = useState<Stores>({ state: 'loading' });
  const [q, setQ] = useState(initialQuery);
  const [search, setSearch] = useState<Search | null>(null);
  const [searchError, setSearchError] = useState('');

  useEffect(() => {
    document.title = 'livemall — downtown';
    // The buildings load once; their live parts (agents, line, shoppers,
    // visitors) arrive on the page's live stream, pushed, never polled.
    let alive = true;
    shop.stores().then(
      (stores) => alive && setLoad({ state: 'done', stores }),
      (e: unknown) => alive && setLoad({ state: 'error', message: errorMessage(e) }),
    );
    return () => {
      alive = false;
    };
  }, []);
  const live = useLiveStores();

  // The query lives in the address bar (replaced, not pushed), so a reload or
  // the back button from a result keeps it; answers for older queries are dropped.
  const term = q.trim();
  useEffect(() => {
    const url = new URL(location.href);
    if (term) url.searchParams.set('q', term);
    else url.searchParams.delete('q');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    if (!term) {
      setSearch(null);
      setSearchError('');
      return;
    }
    let live = true;
    const t = setTimeout(() => {
      shop.search(term).then(
        (r) => {
          if (!live) return;
          setSearch({ q: term, ...r });
          setSearchError('');
        },
        (e: unknown) => live && setSearchError(errorMessage(e)),
      );
    }, 180);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [term]);

  const stores = load.state === 'done' ? load.stores.map((s) => withLive(s, live.get(s.slug))) : [];
  const searching = term !== '' && search !== null;
  const matched = searching ? search.stores : stores;
  // Buildings stay lit for stores that match by name or hold a matching product.
  const lit = searching ? new Set([...search.stores.map((s) => s.slug), ...search.products.map((p) => p.storeSlug)]) : null;
  const byslug = new Map(stores.map((s) => [s.slug, s]));

  return (
    <>
      <section class="hero">
        <p class="eyebrow">Downtown</p>
        <h1 class="hero-title">Every building is a store, with people inside.</h1>
        <p class="hero-lead">Walk in, browse the shelves and talk face to face with a sales agent who knows the products.</p>
      </section>

      <SearchBox value={q} onInput={setQ} />

      {load.state === 'loading' && <div class="skyline-skeleton" aria-busy="true" aria-label="Loading the skyline" />}
      {load.state === 'error' && <ErrorCard title="The skyline did not load" message={load.message} />}
      {load.state === 'done' &&
        (stores.length === 0 ? (
          <div class="card empty">
            <h2>Downtown is still under construction</h2>
            <p class="muted">No stores have opened yet. Come back soon.</p>
          </div>
        ) : (
          <>
            <Skyline stores={stores} lit={lit} />
            {searchError && (
              <p class="status status-error" role="alert">
                The search did not work: {searchError}
              </p>
            )}
            {searching && (
              <SearchResults q={search.q} stores={search.stores} products={search.products} byslug={byslug} />
            )}
            {(!searching || matched.length > 0) && <StoreList stores={matched} byslug={byslug} filtered={searching} />}
          </>
        ))}
    </>
  );
}

function SearchBox({ value, onInput }: { value: string; onInput(v: string): void }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <form class="search-box" role="search" onSubmit={(e) => e.preventDefault()}>
      <label for="downtown-search" class="sr-only">
        Search stores and products
      </label>
      <SearchIcon size={20} class="search-icon" />
      <input
        id="downtown-search"
        ref={input}
        type="search"
        placeholder="Search stores and products, e.g. wine"
        autocomplete="off"
        maxLength={100}
        value={value}
        onInput={(e) => onInput((e.target as HTMLInputElement).value)}
        onKeyDown={(e) => e.key === 'Escape' && onInput('')}
      />
      {value && (
        <button
          type="button"
          class="btn btn-ghost btn-sm search-clear"
          onClick={() => {
            onInput('');
            input.current?.focus();
          }}
        >
          Clear
        </button>
      )}
    </form>
  );
}

function SearchResults({
  q,
  stores,
  products,
  byslug,
}: {
  q: string;
  stores: MallStore[];
  products: ProductHit[];
  byslug: Map<string, MallStore>;
}) {
  const none = stores.length === 0 && products.length === 0;
  return (
    <section class="search-results" aria-labelledby="results-title" aria-live="polite">
      <div class="section-head">
        <h2 id="results-title">Results for “{q}”</h2>
        <span class="muted">
          {plural(stores.length, 'store', 'stores')} · {plural(products.length, 'product', 'products')}
        </span>
      </div>
      {none && (
        <div class="card empty">
          <h3>Nothing downtown matches “{q}”</h3>
          <p class="muted">Try a shorter word, a store’s name or a kind of product.</p>
        </div>
      )}
      {products.length > 0 && (
        <ul class="hit-grid">
          {products.map((p) => {
            const to = productPath(p.storeSlug, p.sku);
            const store = byslug.get(p.storeSlug);
            return (
              <li key={`${p.storeSlug}/${p.sku}`} class="hit" data-sku={p.sku} style={{ '--brand': store?.brandColor }}>
                <img src={p.imageUrl} alt="" width="64" height="64" loading="lazy" />
                <div class="hit-body">
                  <ProductName to={to} class="hit-name" name={p.name} />
                  <p class="muted small hit-store">
                    <span class="hit-swatch" aria-hidden="true" />
                    {store?.name ?? p.storeName ?? p.storeSlug}
                  </p>
                </div>
                <span class="price">{formatMoney(p.priceMinor, p.currency)}</span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function StoreList({ stores, byslug, filtered }: { stores: MallStore[]; byslug: Map<string, MallStore>; filtered: boolean }) {
  return (
    <section class="store-list" aria-labelledby="stores-title">
      <div class="section-head">
        <h2 id="stores-title">{filtered ? 'Matching stores' : 'Stores'}</h2>
        <span class="muted">
          {filtered ? `${plural(stores.length, 'store', 'stores')} found` : openText(stores.map((s) => byslug.get(s.slug) ?? s))}
        </span>
      </div>
      <ul class="store-grid">
        {stores.map((found) => {
          // Live counts come from the live stream, laid over the full list.
          const s = byslug.get(found.slug) ?? found;
          const to = storePath(s.slug);
          return (
            <li key={s.slug} class="store-card" data-slug={s.slug} style={{ '--brand': s.brandColor }}>
              <span class="store-swatch" aria-hidden="true" />
              <div>
                <h3 class="store-name">
                  <a href={to} onClick={linkClick(to)}>
                    {s.name}
                  </a>
                </h3>
                <p class="muted small store-tagline">{s.tagline}</p>
                <p class="small store-count">
                  {plural(s.productCount, 'product', 'products')}
                  {(s.shoppersInside ?? 0) > 0 && (
                    <span class="store-inside">
                      <PersonIcon size={14} /> {s.shoppersInside} inside
                    </span>
                  )}
                </p>
                <QueueBadge queue={s.queue} />
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
