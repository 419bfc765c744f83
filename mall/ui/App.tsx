import { AccountMenu } from '../../backend/web/ui/AccountMenu';
import { Footer } from '../../backend/web/ui/Footer';
import { Topbar } from '../../backend/web/ui/Topbar';
import { useSession } from '../../backend/web/ui/session';
import { CartProvider } from './cart';
import { CartPage } from './CartPage';
import { CallStack } from './CallStack';
import { CobrowseBanner } from './CobrowseBanner';
import { CreditPage } from './CreditApplication';
import { AppointmentNotice, AppointmentPage } from './AppointmentPage';
import { HomePage } from './HomePage';
import { OrderPage } from './OrderPage';
import { OrdersPage } from './OrdersPage';
import { ProductPage } from './ProductPage';
import { ShopNav } from './ShopNav';
import { StorePage } from './StorePage';
import { TalkDock } from './TalkDock';
import { MallCallProvider } from './MallCallProvider';
import { ErrorCard } from './ErrorCard';
import { linkClick, useRoute } from './router';
import { useMallPresence } from './Visitors';
import { LiveStoresProvider } from './liveStores';

/** App is the mall: the top bar with the cart and the account menu, and the routed page. */
export function App() {
  const session = useSession();
  const route = useRoute();
  useMallPresence(route, session.loading ? null : session.account);
  return (
    <CartProvider who={session.loading ? '' : (session.account?.id ?? '')}>
      <MallCallProvider>
        <LiveStoresProvider route={route}>
        <AppointmentNotice path={route.page === 'appointment' ? `/appointments/${route.token}` : ''} />
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        <Topbar home="/" onHome={linkClick('/')} current="mall">
          <ShopNav route={route} />
          <AccountMenu session={session} allowSignUp />
        </Topbar>
        <main id="main" class="page">
          {route.page === 'home' && <HomePage />}
          {route.page === 'store' && <StorePage slug={route.slug} />}
          {route.page === 'product' && <ProductPage slug={route.slug} sku={route.sku} />}
          {route.page === 'cart' && <CartPage />}
          {route.page === 'orders' && <OrdersPage signedIn={session.account !== null} />}
          {route.page === 'order' && <OrderPage id={route.id} />}
          {route.page === 'credit' && !session.loading && <CreditPage id={route.id} signedIn={session.account !== null} />}
          {route.page === 'appointment' && <AppointmentPage token={route.token} />}
          {route.page === 'missing' && (
            <ErrorCard title="Nothing at this address" message={`There is no page at ${route.path}.`} />
          )}
        </main>
        {/* The call beside the page, never over it: the co-browse consent stacks above the panel. */}
        <CallStack>
          <CobrowseBanner />
          <TalkDock account={session.loading ? null : session.account} />
        </CallStack>
        <Footer note="Prices include VAT. Talk to a store's sales agents face to face from any product." />
        </LiveStoresProvider>
      </MallCallProvider>
    </CartProvider>
  );
}
