import type { Product } from '../../backend/web/ui/api';
import { AddToCart } from './AddToCart';
import type { MallStore } from './shopApi';
import { formatMoney } from '../../backend/web/ui/money';
import { linkClick, productPath } from './router';
import { TalkButton } from './TalkButton';

/** AgeBadge marks products sold only to adults. */
export function AgeBadge({ limit }: { limit: number }) {
  if (limit <= 0) return null;
  return (
    <span class="badge badge-age" title={`Sold only to buyers aged ${limit} or over`}>
      {limit}+
    </span>
  );
}

/** Stock says whether a product can be had now. */
export function Stock({ stock }: { stock: number }) {
  if (stock <= 0) return <span class="stock stock-out">Out of stock</span>;
  if (stock < 5) return <span class="stock stock-low">Only {stock} left</span>;
  return <span class="stock stock-in">In stock</span>;
}

/** ProductCard is one product in a department grid. */
export function ProductCard({ store, product }: { store: MallStore; product: Product }) {
  const to = productPath(store.slug, product.sku);
  return (
    <article class="product-card" data-sku={product.sku}>
      <a href={to} class="product-image" onClick={linkClick(to)} tabIndex={-1} aria-hidden="true">
        <img src={product.imageUrl} alt="" loading="lazy" width="320" height="320" />
      </a>
      <div class="product-body">
        <h3 class="product-name">
          <a href={to} onClick={linkClick(to)}>
            {product.name}
          </a>
        </h3>
        <div class="product-meta">
          <span class="price">{formatMoney(product.priceMinor, product.currency)}</span>
          <AgeBadge limit={product.ageLimit} />
          <Stock stock={product.stock} />
        </div>
        <div class="product-actions">
          <AddToCart store={store.slug} product={product} />
          <TalkButton store={store} product={product} compact />
        </div>
      </div>
    </article>
  );
}
