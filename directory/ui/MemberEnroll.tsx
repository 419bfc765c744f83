// MemberEnroll redeems a member's enrollment link (/phone/?enroll=TOKEN, printed
// by `livemall member add`) or recovery link (/phone/?recover=TOKEN, printed by
// `livemall account recover`): welcome, then register a passkey on this device.

import type { AccountLink } from '../../backend/web/ui/accountLink';
import type { Enrollment } from '../../backend/web/ui/api';
import { EnrollmentCard } from '../../backend/web/ui/EnrollmentCard';
import type { Session } from '../../backend/web/ui/session';

function words(e: Enrollment, recovering: boolean) {
  return recovering
    ? {
        eyebrow: 'Account recovery',
        title: `${e.name} — add a new passkey`,
        lead: 'An administrator issued this one-time link because you lost your passkey. It works once, within an hour.',
      }
    : {
        eyebrow: 'Your livemall phone',
        title: `Welcome ${e.name}`,
        lead: 'Your number is waiting. Register a passkey on this device to sign in — no password to remember.',
      };
}

function facts(e: Enrollment) {
  return (
    <p class="small">
      Email: <strong>{e.email}</strong>
    </p>
  );
}

/** MemberEnroll is the card shown for ?enroll= and ?recover=. */
export function MemberEnroll({ link, session, onDone }: { link: AccountLink; session: Session; onDone(): void }) {
  return <EnrollmentCard link={link} session={session} onDone={onDone} words={words} facts={facts} />;
}
