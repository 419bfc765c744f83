// The pieces of a call screen every app shares: the video tile, the choice of
// how to join (camera, voice, avatar) and the line saying where the call
// stands. Each app keeps its own words and classes; the logic lives here once.

import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { outcomeText, type CallClient, type CallMode, type CallView } from '../../../media/client/call';
import { MicIcon, MicOffIcon, UserIcon, VideoIcon, VideoOffIcon } from './icons';
import { initials } from './session';

export interface VideoTileProps {
  stream: MediaStream | null;
  /** muted is set for this side's own preview. */
  muted: boolean;
  class: string;
  label: string;
  testid?: string;
}

/** VideoTile plays a stream in a <video>, again whenever its tracks change. */
export function VideoTile({ stream, muted, class: cls, label, testid }: VideoTileProps) {
  const el = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const v = el.current;
    if (!v) return;
    if (v.srcObject !== stream) v.srcObject = stream;
    if (stream) v.play().catch(() => {});
  }, [stream, stream?.getTracks().length]);
  return <video ref={el} class={cls} autoplay playsinline muted={muted} aria-label={label} data-testid={testid} />;
}

const modes: CallMode[] = ['video', 'voice', 'avatar'];

const modeIcon = (m: CallMode): ComponentChildren =>
  m === 'video' ? <VideoIcon size={16} /> : m === 'voice' ? <MicIcon size={16} /> : <UserIcon size={16} />;

export interface CallModePickerProps {
  mode: CallMode;
  onMode(m: CallMode): void;
  /** name is the radio group's name (unique on the page). */
  name: string;
  /** label is the group's accessible name. */
  label: string;
  /** names and hints are each mode's label and tooltip, in the app's words. */
  names: Record<CallMode, string>;
  hints: Record<CallMode, string>;
  /** groupClass and optionClass style the group and each option (the option gets is-on when chosen). */
  groupClass: string;
  optionClass: string;
}

/** CallModePicker is the segmented choice of how to call: camera, voice or avatar. */
export function CallModePicker({ mode, onMode, name, label, names, hints, groupClass, optionClass }: CallModePickerProps) {
  return (
    <div class={groupClass} role="radiogroup" aria-label={label}>
      {modes.map((m) => (
        <label key={m} class={`${optionClass}${mode === m ? ' is-on' : ''}`} title={hints[m]} data-mode={m}>
          <input type="radio" name={name} value={m} checked={mode === m} onChange={() => onMode(m)} />
          {modeIcon(m)}
          <span>{names[m]}</span>
        </label>
      ))}
    </div>
  );
}

/** PhaseText is an app's words for some phases of a call; the rest are shared. */
export type PhaseText = Partial<Record<CallView['phase'], (c: CallView, now: number) => string>>;

/**
 * callStatusText is the one line saying where the call stands at now (ms);
 * words gives the app's own text for the phases it names.
 */
export function callStatusText(c: CallView, now: number, words: PhaseText = {}): string {
  const own = words[c.phase];
  if (own) return own(c, now);
  switch (c.phase) {
    case 'dialing':
      return 'Calling…';
    case 'ringing':
      return c.role === 'caller' ? 'Ringing…' : 'Incoming call';
    case 'answering':
      return 'Connecting…';
    case 'active':
      return 'Connected';
    case 'queued':
      return 'Waiting…';
    case 'mailbox':
    case 'recording':
      return 'Leaving a message';
    case 'callback':
      return 'Call back later';
    case 'ended':
      return outcomeText(c);
  }
}

/** SelfViewClasses are the classes an app gives the parts of its self-view. */
export interface SelfViewClasses {
  /** root is the frame's class; " is-off" is added while there is no video. */
  root: string;
  /** video is a class the video gets besides theme.css's self-video. */
  video?: string;
  /** off is the class of what stands in for the video: the initials and the note. */
  off: string;
  avatar: string;
  note?: string;
}

/** SelfView is this side's own picture in a call: the camera, or their initials and why there is no video (off, hidden behind the avatar, starting). */
export function SelfView({ call: c, selfName, classes }: { call: CallView; selfName: string; classes: SelfViewClasses }) {
  const hasCamera = (c.localStream?.getVideoTracks().length ?? 0) > 0;
  const hidden = c.mode === 'avatar' && !c.sendingVideo;
  const on = c.sendingVideo && hasCamera;
  return (
    <div class={`${classes.root}${on ? '' : ' is-off'}`}>
      {on ? (
        <VideoTile stream={c.localStream} muted class={classes.video ? `self-video ${classes.video}` : 'self-video'} label="Your camera" />
      ) : (
        <div class={classes.off}>
          <span class={classes.avatar} aria-hidden="true">
            {initials(selfName)}
          </span>
          <span class={classes.note}>{hidden ? 'Hidden behind your avatar' : c.localStream ? 'Camera off' : 'Starting…'}</span>
        </div>
      )}
    </div>
  );
}

/** CallButtonProps place a call button: its class (" is-off" is added while it is off), icon size and test id. */
export interface CallButtonProps {
  call: CallView;
  client: CallClient;
  class: string;
  size: number;
  testid?: string;
  /** disabled disables the button besides while there is no local stream. */
  disabled?: boolean;
}

/** MuteButton mutes and unmutes this side's microphone. */
export function MuteButton({ call: c, client, class: cls, size, testid }: CallButtonProps) {
  return (
    <button type="button" class={`${cls}${c.muted ? ' is-off' : ''}`} aria-pressed={c.muted} data-testid={testid} onClick={() => client.toggleMute()} disabled={!c.localStream}>
      {c.muted ? <MicOffIcon size={size} /> : <MicIcon size={size} />}
      <span>{c.muted ? 'Unmute' : 'Mute'}</span>
    </button>
  );
}

/** CameraButton turns this side's camera off and on (on while the stream is still starting). */
export function CameraButton({ call: c, client, class: cls, size, testid, disabled }: CallButtonProps) {
  const camOn = c.sendingVideo || !c.localStream;
  return (
    <button
      type="button"
      class={`${cls}${camOn ? '' : ' is-off'}`}
      aria-pressed={!camOn}
      aria-label={camOn ? 'Turn camera off' : 'Turn camera on'}
      data-testid={testid}
      onClick={() => void client.setCamera(!c.sendingVideo)}
      disabled={!c.localStream || disabled}
    >
      {camOn ? <VideoIcon size={size} /> : <VideoOffIcon size={size} />}
      <span>{camOn ? 'Camera' : 'Camera off'}</span>
    </button>
  );
}
