import { useEffect } from 'preact/hooks';
import { api, type AddOnKind } from '../../backend/web/ui/api';
import { formatMoney } from '../../backend/web/ui/money';
import { linkClick, productPath, storePath } from './router';
import { ErrorCard } from './ErrorCard';
import { AgeBadge, Stock } from './ProductCard';
import { AddToCart } from './AddToCart';
import { TalkButton } from './TalkButton';
import { BookCallButton } from './BookCall';
import { useLoad } from './useLoad';
import { shop, type MallStore } from './shopApi';

const kindNames: Record<AddOnKind, string> = {
  accessory: 'Accessory',
  warranty: 'Warranty',
  bundle: 'Bundle',
};

/**
 * productWithLiveStore loads a product and completes its store with the live
 * parts (sales number, agents online) from the store list, which the product
 * answer may lack; the product still shows when the list fails.
 */
async function productWithLiveStore(slug: string, sku: string) {
  const [r, stores] = await Promise.all([api.product(slug, sku), shop.stores().catch((): MallStore[] => [])]);
  const listed = stores.find((s) => s.slug === slug);
  const store: MallStore = { ...r.store };
  if (listed) {
    store.salesNumber = store.salesNumber || listed.salesNumber;
    store.salesDisplay = store.salesDisplay || listed.salesDisplay;
    store.agentsOnline = listed.agentsOnline;
    store.shoppersInside = listed.shoppersInside;
  }
  return { ...r, store };
}

/** ProductPage shows one product and what goes well with it. */
export function ProductPage({ slug, sku }: { slug: string; sku: string }) {
  const load = useLoad(`product:${slug}/${sku}`, () => productWithLiveStore(slug, sku));
  useEffect(() => {
    if (load.state === 'done') document.title = `${load.data.product.name} — ${load.data.store.name} — livemall`;
  }, [load]);

  if (load.state === 'loading') return <div class="banner-skeleton" aria-busy="true" aria-label="Loading the product" />;
  if (load.state === 'error') {
    return <ErrorCard title={load.notFound ? 'This product is not on the shelves' : 'The product did not load'} message={load.message} />;
  }
  const { store, product } = load.data;
  const addOns = product.addOns ?? [];
  const alsoBought = product.alsoBought ?? [];
  const storeTo = storePath(store.slug);
  return (
    <>
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <ol>
          <li>
            <a href="/" onClick={linkClick('/')}>
              Downtown
            </a>
          </li>
          <li>
            <a href={storeTo} onClick={linkClick(storeTo)}>
              {store.name}
            </a>
          </li>
          <li aria-current="page">{product.name}</li>
        </ol>
      </nav>

      <article class="product-detail" style={{ '--brand': store.brandColor }}>
        <div class="product-detail-image">
          <img src={product.imageUrl} alt={product.name} width="520" height="520" />
        </div>
        <div class="product-detail-info">
          <p class="eyebrow">{product.department}</p>
          <h1 class="product-title">{product.name}</h1>
          <div class="product-meta large">
            <span class="price">{formatMoney(product.priceMinor, product.currency)}</span>
            <AgeBadge limit={product.ageLimit} />
            <Stock stock={product.stock} />
          </div>
          <p class="product-description">{product.description}</p>
          {product.ageLimit > 0 && (
            <p class="age-note">
              Sold only to buyers aged {product.ageLimit} or over. You can add it to your cart; a sales agent
              verifies your age before you pay.
            </p>
          )}
          <AddToCart store={store.slug} product={product} withQuantity />
          <TalkButton store={store} product={product} />
          <BookCallButton store={store} product={product} />
          <p class="muted small sold-by">
            Sold by{' '}
            <a href={storeTo} onClick={linkClick(storeTo)}>
              {store.name}
            </a>
          </p>
        </div>
      </article>

      {addOns.length > 0 && (
        <section class="addons" aria-labelledby="addons-title">
          <div class="section-head">
            <h2 id="addons-title">Goes well with</h2>
          </div>
          <ul class="stack-list addon-list">
            {addOns.map((a) => {
              const to = productPath(store.slug, a.product.sku);
              return (
                <li key={`${a.kind}-${a.product.sku}`} class="addon">
                  <img src={a.product.imageUrl} alt="" width="80" height="80" loading="lazy" />
                  <div class="addon-body">
                    <span class={`badge badge-kind kind-${a.kind}`}>{kindNames[a.kind] ?? a.kind}</span>
                    <h3 class="addon-name">
                      <a href={to} onClick={linkClick(to)}>
                        {a.product.name}
                      </a>
                    </h3>
                    <p class="muted small">{a.reason}</p>
                  </div>
                  <span class="price">{formatMoney(a.product.priceMinor, a.product.currency)}</span>
                </li>
              );
            })}
          </ul>
        </section>
      )}

      {alsoBought.length > 0 && (
        <section class="addons" aria-labelledby="also-title">
          <div class="section-head">
            <h2 id="also-title">Shoppers also bought</h2>
          </div>
          <ul class="stack-list addon-list">
            {alsoBought.map((a) => {
              const to = productPath(store.slug, a.product.sku);
              return (
                <li key={`also-${a.product.sku}`} class="addon">
                  <img src={a.product.imageUrl} alt="" width="80" height="80" loading="lazy" />
                  <div class="addon-body">
                    <h3 class="addon-name">
                      <a href={to} onClick={linkClick(to)}>
                        {a.product.name}
                      </a>
                    </h3>
                    <p class="muted small">
                      In {a.orders} {a.orders === 1 ? 'order' : 'orders'} with this one
                    </p>
                  </div>
                  <span class="price">{formatMoney(a.product.priceMinor, a.product.currency)}</span>
                </li>
              );
            })}
          </ul>
        </section>
      )}
    </>
  );
}
