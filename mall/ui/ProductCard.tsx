import type { ComponentChildren } from 'preact';
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

/** ProductImageLink is a product's picture linking to its page; screen readers skip it, as the name links there too. */
export function ProductImageLink({ to, class: cls, src, size }: { to: string; class: string; src: string; size: number }) {
  return (
    <a href={to} class={cls} onClick={linkClick(to)} tabIndex={-1} aria-hidden="true">
      <img src={src} alt="" width={size} height={size} loading="lazy" />
    </a>
  );
}

/** ProductName is a product's name as a heading of class cls, linking to its page; children follow the link. */
export function ProductName({ to, class: cls, name, children }: { to: string; class: string; name: string; children?: ComponentChildren }) {
  return (
    <h3 class={cls}>
      <a href={to} onClick={linkClick(to)}>
        {name}
      </a>
      {children}
    </h3>
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
      <ProductImageLink to={to} class="product-image" src={product.imageUrl} size={320} />
      <div class="product-body">
        <ProductName to={to} class="product-name" name={product.name} />
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
