import type { Account } from '../../backend/web/ui/api';
import { PhoneIcon } from '../../backend/web/ui/icons';
import { initials } from '../../backend/web/ui/session';

/** PhoneCard is the signed-in member's phone: who they are and their number. */
export function PhoneCard({ account }: { account: Account }) {
  return (
    <section class="card phone-card" aria-labelledby="phone-title">
      <div class="phone-card-head">
        <span class="avatar avatar-lg" aria-hidden="true">
          {initials(account.name)}
        </span>
        <div>
          <p class="eyebrow">Your phone</p>
          <h1 id="phone-title" class="phone-name">
            {account.name}
          </h1>
          <p class="muted small">{account.email}</p>
        </div>
      </div>

      <div class="number-slot" aria-describedby="number-note">
        <span class="number-label">Your number</span>
        <span class="number-digits" aria-label="Not assigned yet">
          <span>••••</span>
          <span>••••</span>
          <span>••••</span>
        </span>
      </div>
      <p id="number-note" class="muted small">
        Your number will appear here. Every member gets a permanent 12-digit number that is never reused — friends
        and stores will reach you on it.
      </p>

      <ul class="phone-features">
        <li>
          <PhoneIcon size={18} />
          <span>
            <strong>Calls in the browser.</strong> Answer on whichever device you signed in on last.
          </span>
        </li>
        <li>
          <PhoneIcon size={18} />
          <span>
            <strong>Messages when you are away.</strong> Voice and video messages wait for you here.
          </span>
        </li>
      </ul>
    </section>
  );
}
