// CallActive: the agent in a call. The shopper's video large (or their
// initials while none comes, with "Ask for live video" when they hide behind
// an avatar), the agent's own camera small, mute / camera / hang up, the
// shopper's context beside it, and the slot where the co-browse view goes.

import type { ComponentChildren } from 'preact';
import { useCallback, useMemo, useRef, useState } from 'preact/hooks';
import { HangUpIcon, PhoneIcon, StoreIcon, VideoIcon } from '../../backend/web/ui/icons';
import { initials } from '../../backend/web/ui/session';
import { canCallBack, type CallClient, type CallView } from '../../media/client/call';
import type { QueueContext } from '../../media/client/protocol';
import { CallContext, shopperName, useNow } from './CallContext';
import { clock } from './deskApi';
import type { ShopperCart } from './engagementApi';
import { LiveCartContext } from './liveCart';
import { CameraButton, callStatusText, MuteButton, SelfView, VideoTile, type PhaseText } from '../../backend/web/ui/CallKit';
import { CallOthers } from './CallOthers';

/** deskWords are the desk's words for the phases it says differently. */
const deskWords: PhaseText = {
  active: (c, now) => `On call ${clock((now - (c.connectedAt ?? now)) / 1000)}`,
};

function statusText(c: CallView, now: number): string {
  return callStatusText(c, now, deskWords);
}

export interface CallActiveProps {
  call: CallView;
  client: CallClient;
  selfName: string;
  /** avatar says the shopper hides behind an avatar (call.incoming). */
  avatar: boolean;
  context?: QueueContext | null;
  storeSlug?: string;
  /** cobrowse is the co-browse view; without it the slot explains what will show there. */
  cobrowse?: ComponentChildren;
  /** tools are the agent's engagement tools (EngagementTools), shown above the co-browse slot. */
  tools?: ComponentChildren;
  /** transfer is the call's "Transfer" control and its banner (CallTransfer), for a shopper's live call. */
  transfer?: ComponentChildren;
}

/**
 * CallActive is the call stage of the desk. It carries the call's live cart:
 * the engagement tools read the shared cart as it grows, and the side panel
 * shows theirs, this call's only (the desk keeps this component from one
 * call to the next).
 */
export function CallActive(props: CallActiveProps) {
  const [read, setRead] = useState<{ callId: string | null; cart: ShopperCart | null }>({ callId: null, cart: null });
  const callId = props.call.id ?? null;
  const callRef = useRef(callId);
  callRef.current = callId;
  const publish = useCallback((cart: ShopperCart | null) => setRead({ callId: callRef.current, cart }), []);
  const liveCart = useMemo(() => ({ cart: read.callId === callId ? read.cart : null, publish }), [read, callId, publish]);
  return (
    <LiveCartContext.Provider value={liveCart}>
      <CallStage {...props} />
    </LiveCartContext.Provider>
  );
}

/** CallStage is the call itself: video, controls, the shopper beside it and the slots. */
function CallStage({ call: c, client, selfName, avatar, context, storeSlug, cobrowse, tools, transfer }: CallActiveProps) {
  const live = c.phase !== 'ended';
  const now = useNow(live && c.phase === 'active');
  const name = context ? shopperName(c.peer.name) : c.peer.name || 'Unknown caller';
  const showRemote = live && c.remoteVideoLive;
  const canAsk = c.role === 'callee' && c.phase === 'active' && !c.remoteVideoLive && c.videoAsk !== 'waiting';
  const cancel = c.phase === 'dialing' || (c.phase === 'ringing' && c.role === 'caller');

  return (
    <section class={`desk-call phase-${c.phase}`} aria-labelledby="desk-call-title" data-phase={c.phase} data-call-id={c.id ?? ''}>
      <div class="desk-call-main">
        <header class="desk-call-head">
          <div>
            <p class="call-kicker">{c.role === 'caller' ? 'Calling back' : avatar && !c.remoteVideoLive ? 'Shopper behind an avatar' : 'In call'}</p>
            <h2 id="desk-call-title" class="desk-call-name">
              {name}
            </h2>
          </div>
          <p class="call-status" role="status" aria-live="polite">
            {c.phase === 'active' && <span class="live-dot" aria-hidden="true" />}
            {statusText(c, now)}
          </p>
        </header>

        <div class="desk-stage">
          <VideoTile stream={c.remoteStream} muted={false} testid="remote-video" class={`remote-video${showRemote ? '' : ' is-off'}`} label={`${name}'s video`} />
          {!showRemote && (
            <div class="stage-placeholder desk-stage-empty">
              <span class={`avatar desk-stage-avatar${live && !c.connectedAt ? ' is-ringing' : ''}`} aria-hidden="true">
                {initials(name)}
              </span>
              <p>
                {c.phase === 'active'
                  ? avatar
                    ? `${name} is behind an avatar.`
                    : `${name} is not sending video.`
                  : statusText(c, now)}
              </p>
            </div>
          )}
          {live && <SelfView call={c} selfName={selfName} classes={{ root: 'self-corner desk-self', off: 'self-off desk-self-off', avatar: 'avatar avatar-sm' }} />}
          <CallOthers call={c} />
          {c.role === 'callee' && c.phase === 'active' && !c.remoteVideoLive && c.videoAsk !== 'none' && (
            <p class="desk-toast" role="status">
              {c.videoAsk === 'waiting'
                ? `Asked ${name} for live video…`
                : c.videoAsk === 'declined'
                  ? `${name} chose to stay behind the avatar.`
                  : `${name} is turning on their camera…`}
            </p>
          )}
          {c.notice && live && <p class="desk-toast" role="status">{c.notice}</p>}
        </div>

        <footer class="desk-controls">
          {live ? (
            <>
              <MuteButton call={c} client={client} class="call-btn" size={22} />
              <CameraButton call={c} client={client} class="call-btn" size={22} />
              {canAsk && (
                <button type="button" class="call-btn" data-testid="ask-video" onClick={() => client.askForVideo()}>
                  <VideoIcon size={22} />
                  <span>Ask for live video</span>
                </button>
              )}
              {transfer}
              <button type="button" class="call-btn call-btn-hangup" data-testid="hangup" onClick={() => (cancel ? (client.hangup(), client.dismiss()) : client.hangup())}>
                <HangUpIcon size={24} />
                <span>{cancel ? 'Cancel' : 'Hang up'}</span>
              </button>
            </>
          ) : (
            <>
              {canCallBack(c) && (
                <button type="button" class="call-btn call-btn-callback" data-testid="call-back" onClick={() => client.callBack()}>
                  <PhoneIcon size={22} />
                  <span>Call back</span>
                </button>
              )}
              <button type="button" class="btn btn-secondary" onClick={() => client.dismiss()}>
                Close
              </button>
            </>
          )}
        </footer>
      </div>

      <aside class="desk-call-side" aria-label="Shopper">
        <CallContext context={context} name={c.peer.name} storeSlug={storeSlug} />
      </aside>

      {tools && (
        <div class="tools-slot" data-slot="tools">
          {tools}
        </div>
      )}

      {/* A shopper's call (one with queue context) has a co-browse slot; a phone call back has none. */}
      {(cobrowse || context) && (
        <section class="cobrowse-slot" data-slot="cobrowse" aria-label="Co-browse">
          {cobrowse ?? (
            <div class="cobrowse-placeholder">
              <StoreIcon size={20} />
              <p>
                <strong>Co-browse</strong>
                <span class="muted small">The shopper's page will show here during the call.</span>
              </p>
            </div>
          )}
        </section>
      )}
    </section>
  );
}
