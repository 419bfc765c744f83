import { useState } from 'preact/hooks';
import { accountLinkFrom, type AccountLink } from '../../backend/web/ui/accountLink';
import { AccountPanel } from '../../backend/web/ui/AccountPanel';
import { AppFrame } from '../../backend/web/ui/AppFrame';
import { isStaff, useSession } from '../../backend/web/ui/session';
import { DeskHome } from './DeskHome';
import { EnrollCard } from './EnrollCard';
import { MembersOnlyNote, StaffIntro } from './Notes';

function linkInURL(): AccountLink | null {
  return accountLinkFrom(new URLSearchParams(location.search));
}

/** App picks the desk's view: enrollment, sign-in, the staff-only note, or the desk. */
export function App() {
  const session = useSession();
  const [link, setLink] = useState(linkInURL);
  const account = session.account;

  function enrolled() {
    // Drop ?enroll= or ?recover= so a reload or a shared URL never shows a spent link.
    const url = new URL(location.href);
    url.searchParams.delete('enroll');
    url.searchParams.delete('recover');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
    setLink(null);
  }

  let view;
  if (link) {
    view = <EnrollCard link={link} session={session} onEnrolled={enrolled} />;
  } else if (session.loading) {
    view = <div class="desk-skeleton" aria-busy="true" aria-label="Loading the desk" />;
  } else if (!account) {
    view = (
      <div class="grid-2">
        <StaffIntro />
        <AccountPanel
          session={session}
          signInHint="Staff sign in with the passkey registered from their enrollment link."
        />
      </div>
    );
  } else if (!isStaff(account)) {
    view = (
      <div class="grid-2">
        <MembersOnlyNote />
        <AccountPanel session={session} />
      </div>
    );
  } else {
    view = <DeskHome session={session} account={account} />;
  }

  return (
    <AppFrame app="desk" account={account} error={session.error} footer="The desk is for store staff. Staff join by an enrollment link.">
      {view}
    </AppFrame>
  );
}
