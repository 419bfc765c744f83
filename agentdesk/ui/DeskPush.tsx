// DeskPush: the tile where an agent asks to be rung by push while the desk
// is in the background or closed, so a waiting shopper or an appointment
// still reaches them.

import { PhoneIncomingIcon } from '../../backend/web/ui/icons';
import { PushSwitch } from '../../backend/web/ui/PushSwitch';

/** DeskPush is the "Ring me when the desk is in the background" tile. */
export function DeskPush() {
  return (
    <section class="tile desk-push" aria-labelledby="desk-push-title">
      <div class="tile-head">
        <PhoneIncomingIcon size={20} />
        <h2 id="desk-push-title">Ringing</h2>
      </div>
      <PushSwitch
        scope="/desk/"
        label="Ring me when the desk is in the background"
        hint="While you are available, a waiting shopper or an appointment rings this computer even with the desk hidden or closed."
      />
    </section>
  );
}
