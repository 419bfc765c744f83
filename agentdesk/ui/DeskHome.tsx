import { useState } from 'preact/hooks';
import type { Account } from '../../backend/web/ui/api';
import { AccountPanel } from '../../backend/web/ui/AccountPanel';
import { StoreIcon, UserIcon } from '../../backend/web/ui/icons';
import { initials, roleName, type Session } from '../../backend/web/ui/session';
import { Analytics } from './Analytics';
import { CallDesk, DeskStatus, useDesk } from './CallDesk';
import { Catalog } from './Catalog';
import { CobrowseView, isMallPath } from './CobrowseView';
import { CreditReview } from './CreditReview';
import { DeskPush } from './DeskPush';
import { AppointmentHours, DeskAppointments } from './Appointments';
import { EngagementTools } from './EngagementTools';
import { StoreSettings } from './StoreSettings';
import { TodayTile } from './TodayTile';

/** DeskHome is the signed-in staff desk: who, which store, and the queue. */
export function DeskHome({ session, account }: { session: Session; account: Account }) {
  const store = account.store;
  const desk = useDesk(account);
  // Why the last order was refused: the server ends that call, so the note outlives the call's tools.
  const [refusal, setRefusal] = useState('');
  // The store's settings as last saved here: the hours editor shows the
  // zone, and the figures reload (their days and service level follow them).
  const [settings, setSettings] = useState({ zone: '', saves: 0 });
  const call = desk.calls.snap.call;
  return (
    <>
      <section class="desk-header" aria-labelledby="desk-title">
        <span class="avatar avatar-lg" aria-hidden="true">
          {initials(account.name)}
        </span>
        <div class="desk-who">
          <p class="eyebrow">{store ? store.name : 'All stores'}</p>
          <h1 id="desk-title" class="desk-name">
            {account.name}
          </h1>
          <p class="desk-role">
            <span class="badge badge-role">{roleName(account.role)}</span>
            {store && <span class="muted small">{store.name} sales floor</span>}
          </p>
        </div>
        <DeskStatus desk={desk} account={account} />
      </section>

      {refusal && (
        <p class="refusal-note" role="alert" data-testid="order-refused-note">
          <span>The order was refused: {refusal}. The call was ended for both sides.</span>
          <button type="button" class="btn btn-ghost btn-sm" onClick={() => setRefusal('')}>
            Dismiss
          </button>
        </p>
      )}

      <CallDesk
        desk={desk}
        account={account}
        tools={(e) => (
          <EngagementTools
            key={e.entryId}
            engaged={e}
            live={!!call && call.phase === 'active'}
            videoLive={!!call?.remoteVideoLive}
            navigate={(path) => isMallPath(path) && desk.signal.send({ type: 'cobrowse.navigate', data: { entryId: e.entryId, path } })}
            onRefused={setRefusal}
          />
        )}
        cobrowse={(e) => (
          <CobrowseView
            key={e.entryId}
            entryId={e.entryId}
            send={desk.signal.send}
            onMessage={desk.signal.onMessage}
            shopperName={e.name}
            links={e.context?.product ? [{ label: e.context.product.name, path: e.context.product.path }] : []}
          />
        )}
      />

      <div class="desk-grid">
        <div class="desk-tiles">
          {store ? (
            <TodayTile refresh={`${call?.id ?? ''}:${call?.phase ?? ''}:${desk.status?.state ?? ''}:${desk.status?.since ?? ''}`} />
          ) : (
            <section class="tile" aria-labelledby="you-title">
              <div class="tile-head">
                <UserIcon size={20} />
                <h2 id="you-title">Calls</h2>
              </div>
              <p class="tile-big">Every store</p>
              <p class="muted small">Administrators take no calls; each store's agents do.</p>
            </section>
          )}

          <section class="tile" aria-labelledby="store-title">
            <div class="tile-head">
              <StoreIcon size={20} />
              <h2 id="store-title">Store</h2>
            </div>
            <p class="tile-big">{store ? store.name : 'Every store'}</p>
            <p class="muted small">
              {store ? (
                <a href={`/store/${encodeURIComponent(store.slug)}`}>See the storefront shoppers see</a>
              ) : (
                'Administrators see every store of the mall.'
              )}
            </p>
            {store && account.role === 'supervisor' && (
              <p class="small">
                <a href="#store-settings" data-testid="settings-link">
                  Store settings: time zone, service level, credit rules
                </a>
              </p>
            )}
          </section>
          {store && <DeskPush />}
        </div>

        <aside aria-label="Your account">
          <AccountPanel session={session} />
        </aside>
      </div>

      {store && <DeskAppointments mine={account.id} />}
      {account.role === 'supervisor' && store && <AppointmentHours timeZone={settings.zone} />}
      {store && <Analytics key={settings.saves} own={account.role !== 'supervisor'} />}

      {account.role === 'supervisor' && store && <Catalog slug={store.slug} storeName={store.name} />}
      {account.role === 'supervisor' && store && <CreditReview storeName={store.name} onMessage={desk.signal.onMessage} />}
      {account.role === 'supervisor' && store && <StoreSettings onSaved={(s) => setSettings((p) => ({ zone: s.timeZone, saves: p.saves + 1 }))} />}
    </>
  );
}
