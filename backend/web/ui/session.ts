// The signed-in account as app state, shared by the header and the panels.

import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Account, type Role } from './api';

/** Session is who is signed in; account is null when signed out. */
export interface Session {
  /** loading is true until the first GET /me has answered. */
  loading: boolean;
  account: Account | null;
  /** error is set when /me failed for a reason other than being signed out. */
  error: string;
  set(account: Account | null): void;
  refresh(): Promise<void>;
}

/** useSession loads the account once and lets panels replace it after a ceremony. */
export function useSession(): Session {
  const [loading, setLoading] = useState(true);
  const [account, setAccount] = useState<Account | null>(null);
  const [error, setError] = useState('');

  const refresh = useCallback(async () => {
    try {
      setAccount(await api.me());
      setError('');
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Could not load your account.');
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const set = useCallback((a: Account | null) => {
    setAccount(a);
    setError('');
  }, []);

  return { loading, account, error, set, refresh };
}

const roleNames: Record<Role, string> = {
  member: 'Member',
  agent: 'Sales agent',
  supervisor: 'Supervisor',
  admin: 'Administrator',
};

/** roleName is the label shown for a role. */
export function roleName(role: Role): string {
  return roleNames[role] ?? role;
}

/** isStaff says whether an account may use the agent desk. */
export function isStaff(a: Account | null): boolean {
  return a !== null && a.role !== 'member';
}

/** initials gives up to two letters for an avatar. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const first = parts[0]?.[0] ?? '?';
  const last = parts.length > 1 ? parts[parts.length - 1][0] : '';
  return (first + last).toUpperCase();
}

/** errorMessage extracts a user-facing sentence from anything thrown. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return 'Something went wrong.';
}
