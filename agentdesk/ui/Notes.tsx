import { HeadsetIcon, ShieldIcon, StoreIcon } from '../../backend/web/ui/icons';

/** StaffIntro explains the desk to a signed-out visitor. */
export function StaffIntro() {
  return (
    <section class="desk-intro" aria-labelledby="desk-intro-title">
      <p class="eyebrow">Agent desk</p>
      <h1 id="desk-intro-title" class="intro-title">
        Serve shoppers face to face.
      </h1>
      <p class="intro-lead">
        The desk is where sales agents and supervisors of livemall stores take calls from the store's queue, guide
        shoppers through products and close orders together.
      </p>
      <ul class="intro-list">
        <li>
          <HeadsetIcon size={18} />
          <span>Take video calls from shoppers waiting in your store's queue.</span>
        </li>
        <li>
          <StoreIcon size={18} />
          <span>See the shopper's page and suggest add-ons into their cart.</span>
        </li>
        <li>
          <ShieldIcon size={18} />
          <span>
            New staff get a one-time enrollment link from their administrator. Open it on this device to register a
            passkey.
          </span>
        </li>
      </ul>
    </section>
  );
}

/** MembersOnlyNote tells a signed-in member that the desk is not for them. */
export function MembersOnlyNote() {
  return (
    <section class="card members-note" role="note" aria-labelledby="members-note-title">
      <span class="card-icon" aria-hidden="true">
        <ShieldIcon size={28} />
      </span>
      <h1 id="members-note-title" class="note-title">
        The desk is for store staff
      </h1>
      <p class="muted">
        You are signed in as a member. Shopping and calls happen in the mall and on your phone; the desk opens only
        for sales agents, supervisors and administrators of a store.
      </p>
      <div class="actions">
        <a class="btn btn-primary" href="/">
          Go to the mall
        </a>
        <a class="btn btn-secondary" href="/phone/">
          Open your phone
        </a>
      </div>
    </section>
  );
}
