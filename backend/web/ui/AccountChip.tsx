// AccountChip: who is signed in, shown small in the top bar.

import type { Account } from './api';
import { initials, roleName } from './session';

/** AccountChip shows the signed-in account's initials and name, or nothing. */
export function AccountChip({ account }: { account: Account | null }) {
  if (!account) return null;
  return (
    <span class="account-chip" title={`${account.name} · ${roleName(account.role)}`}>
      <span class="avatar avatar-sm" aria-hidden="true">
        {initials(account.name)}
      </span>
      <span class="account-chip-name">{account.name}</span>
    </span>
  );
}
