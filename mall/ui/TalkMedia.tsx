// TalkMedia: the video parts of the call panel. The agent large (their video,
// or their initials while there is none), the shopper small in a corner
// (mirrored, or their avatar when hiding), the "show your video?" prompt, and
// the call buttons: mute, camera, hang up.

import type { ComponentChildren } from 'preact';
import { HangUpIcon, UserIcon, VideoIcon } from '../../backend/web/ui/icons';
import { initials } from '../../backend/web/ui/session';
import type { CallClient, CallMode, CallView } from '../../media/client/call';
import { clock, useNow as useTick } from '../../backend/web/ui/clock';
import { CallModePicker, CameraButton, MuteButton, SelfView as SelfViewKit, VideoTile } from '../../backend/web/ui/CallKit';
import { JoinedNote, OtherPeople } from './CallPeople';


export { clock, useTick };

/** SelfView is the shopper's own picture: the camera, or their initials when it is off or hidden. */
export function SelfView({ call, selfName, large }: { call: CallView; selfName: string; large?: boolean }) {
  const classes = { root: `talk-self${large ? ' is-large' : ''}`, off: 'self-off talk-self-avatar', avatar: 'avatar', note: 'talk-self-note' };
  return <SelfViewKit call={call} selfName={selfName} classes={classes} />;
}

/** AgentStage is the connected call: the agent's video with the shopper's own in a corner. */
export function AgentStage({ call: c, client, selfName, overlay }: { call: CallView; client: CallClient; selfName: string; overlay?: ComponentChildren }) {
  const agent = c.peer.name || 'The agent';
  const live = c.phase !== 'ended';
  return (
    <div class={`talk-stage${c.remoteVideoLive ? ' has-video' : ''}`}>
      <VideoTile
        stream={c.remoteStream}
        muted={false}
        class={`remote-video talk-remote-video${c.remoteVideoLive ? '' : ' is-off'}`}
        label={`${agent}'s video`}
        testid="remote-video"
      />
      {!c.remoteVideoLive && (
        <div class="stage-placeholder talk-remote-placeholder">
          <span class="avatar talk-agent-avatar" aria-hidden="true">
            {initials(agent)}
          </span>
          <p class="small">{c.media === 'connected' ? `${agent} is not sending video.` : 'Connecting the video…'}</p>
        </div>
      )}
      {live && <SelfView call={c} selfName={selfName} />}
      {live && <OtherPeople call={c} />}
      <JoinedNote call={c} />
      {c.videoAsked && (
        <div class="talk-prompt" role="alertdialog" aria-labelledby="talk-ask">
          <p id="talk-ask">
            <strong>{agent}</strong> asks to see you
          </p>
          <div class="talk-prompt-actions">
            <button type="button" class="btn btn-primary btn-sm" data-testid="video-accept" onClick={() => client.answerVideoRequest(true)}>
              <VideoIcon size={16} /> Show my video
            </button>
            <button type="button" class="btn btn-secondary btn-sm" data-testid="video-decline" onClick={() => client.answerVideoRequest(false)}>
              Stay hidden
            </button>
          </div>
        </div>
      )}
      {overlay}
      {c.notice && live && (
        <p class="talk-toast" role="status">
          {c.notice}
        </p>
      )}
    </div>
  );
}

/** CallButtons are mute, camera (or "show my video" behind an avatar) and the main button. */
export function CallButtons({
  call: c,
  client,
  hangLabel,
  onHangUp,
}: {
  call: CallView;
  client: CallClient;
  hangLabel: string;
  onHangUp(): void;
}) {
  const hidden = c.mode === 'avatar' && !c.sendingVideo;
  const inMailbox = c.phase === 'mailbox' || c.phase === 'recording';
  const talking = c.phase === 'active' || inMailbox;
  return (
    <div class="talk-controls">
      {talking && (
        <MuteButton call={c} client={client} class="call-btn talk-btn" size={20} testid="mute" />
      )}
      {talking && !hidden && (
        <CameraButton call={c} client={client} class="call-btn talk-btn" size={20} testid="camera" disabled={c.phase === 'recording'} />
      )}
      {c.phase === 'active' && hidden && (
        <button type="button" class="call-btn talk-btn" data-testid="show-video" onClick={() => void client.setCamera(true)} disabled={!c.localStream}>
          <UserIcon size={20} />
          <span>Show my video</span>
        </button>
      )}
      <button type="button" class="call-btn call-btn-hangup talk-btn" data-testid="hangup" onClick={onHangUp}>
        <HangUpIcon size={22} />
        <span>{hangLabel}</span>
      </button>
    </div>
  );
}

const modeNames: Record<CallMode, string> = { video: 'Camera', voice: 'Voice only', avatar: 'Avatar' };
const modeHints: Record<CallMode, string> = {
  video: 'The agent sees and hears you',
  voice: 'The agent hears you; no picture',
  avatar: 'The agent hears you and sees your initials; they can ask to see you',
};

/** TalkModes is the choice of how the shopper shows up on the call. */
export function TalkModes({ mode, onMode, name }: { mode: CallMode; onMode(m: CallMode): void; name: string }) {
  return (
    <CallModePicker
      mode={mode}
      onMode={onMode}
      name={name}
      label="Join the call with"
      names={modeNames}
      hints={modeHints}
      groupClass="talk-modes"
      optionClass="talk-mode"
    />
  );
}
