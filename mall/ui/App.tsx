import { AccountMenu } from '../../backend/web/ui/AccountMenu';
import { Footer } from '../../backend/web/ui/Footer';
import { Topbar } from '../../backend/web/ui/Topbar';
import { useSession } from '../../backend/web/ui/session';
import { HomePage } from './HomePage';
import { ProductPage } from './ProductPage';
import { StorePage } from './StorePage';
import { ErrorCard } from './ErrorCard';
import { linkClick, useRoute } from './router';

/** App is the mall: the top bar with the account menu and the routed page. */
export function App() {
  const session = useSession();
  const route = useRoute();
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Topbar home="/" onHome={linkClick('/')} current="mall">
        <AccountMenu session={session} allowSignUp />
      </Topbar>
      <main id="main" class="page">
        {route.page === 'home' && <HomePage />}
        {route.page === 'store' && <StorePage slug={route.slug} />}
        {route.page === 'product' && <ProductPage slug={route.slug} sku={route.sku} />}
        {route.page === 'missing' && (
          <ErrorCard title="Nothing at this address" message={`There is no page at ${route.path}.`} />
        )}
      </main>
      <Footer note="Prices include VAT. Live sales calls open soon." />
    </>
  );
}
