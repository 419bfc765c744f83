import { AccountPanel } from '../../backend/web/ui/AccountPanel';
import { Footer } from '../../backend/web/ui/Footer';
import { Topbar } from '../../backend/web/ui/Topbar';
import { useSession } from '../../backend/web/ui/session';
import { AccountChip } from '../../backend/web/ui/AccountChip';
import { PhoneCard } from './PhoneCard';
import { PhoneIntro } from './PhoneIntro';

/** App is the phone: sign in or join on the right, your phone on the left. */
export function App() {
  const session = useSession();
  const account = session.account;
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Topbar app="phone" home="/phone/" current="phone">
        <AccountChip account={account} />
      </Topbar>
      <main id="main" class="page page-narrow">
        <div class="grid-2">
          <div>{account ? <PhoneCard account={account} /> : <PhoneIntro loading={session.loading} />}</div>
          <AccountPanel
            session={session}
            allowSignUp
            signInHint="Members sign in with the passkey saved on this device — no username, no password."
          />
        </div>
        {session.error && (
          <p class="status status-error" role="alert">
            {session.error}
          </p>
        )}
      </main>
      <Footer note="Calls and messages come to your phone in the browser." />
    </>
  );
}
