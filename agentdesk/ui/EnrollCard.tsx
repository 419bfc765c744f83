import type { AccountLink } from '../../backend/web/ui/accountLink';
import type { Enrollment } from '../../backend/web/ui/api';
import { EnrollmentCard } from '../../backend/web/ui/EnrollmentCard';
import { roleName, type Session } from '../../backend/web/ui/session';

function words(e: Enrollment, recovering: boolean) {
  const where = e.store ? e.store.name : 'livemall';
  return recovering
    ? {
        eyebrow: 'Account recovery',
        title: `${e.name} — add a new passkey for ${where}`,
        lead: 'An administrator issued this one-time link because you lost your passkey. The new passkey stays on this device; the link works once, within an hour.',
      }
    : {
        eyebrow: 'Staff enrollment',
        title: `Welcome ${e.name} — register your passkey for ${where}`,
        lead: 'Your passkey stays on this device and is how you sign in to the desk from now on. No password to remember.',
      };
}

function facts(e: Enrollment) {
  return (
    <dl class="enroll-facts">
      <div class="wide">
        <dt>Email</dt>
        <dd>{e.email}</dd>
      </div>
      <div>
        <dt>Role</dt>
        <dd>{roleName(e.role)}</dd>
      </div>
      <div>
        <dt>Store</dt>
        <dd>{e.store ? e.store.name : 'All stores'}</dd>
      </div>
    </dl>
  );
}

/**
 * EnrollCard redeems a staff enrollment link (welcome, then register the first
 * passkey) or a recovery link (add a passkey to an account whose owner lost
 * theirs).
 */
export function EnrollCard({ link, session, onEnrolled }: { link: AccountLink; session: Session; onEnrolled(): void }) {
  return <EnrollmentCard link={link} session={session} onDone={onEnrolled} words={words} facts={facts} />;
}
