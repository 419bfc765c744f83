// CallPanel: the call screen. The other side large (their video, or their
// initials while there is none), this side small in a corner (mirrored, or
// the avatar when hiding), the state in words, and the controls: mute,
// camera, hang up. It also carries the mailbox (greeting, then recording)
// and the "show your video?" exchange between a hidden caller and the callee.

import { useEffect, useRef, useState } from 'preact/hooks';
import { HangUpIcon, PhoneIcon, VideoIcon, VoicemailIcon } from '../../backend/web/ui/icons';
import { initials } from '../../backend/web/ui/session';
import { canCallBack, mainMember, type CallClient, type CallMode, type CallView } from '../../media/client/call';
import type { PresenceState } from './directoryApi';
import { clock, useNow as useTick } from '../../backend/web/ui/clock';
import { CallModePicker, CameraButton, callStatusText, MuteButton, SelfView, VideoTile, type PhaseText } from '../../backend/web/ui/CallKit';
import { AddPerson, AddPersonButton, ConferenceGrid, canAddPeople, conferenceKicker, conferenceTitle, isConference } from './Conference';

export { clock, useTick };

export interface CallTarget {
  name: string;
  /** number is the 12 digits to dial; display is the same grouped 4-4-4. */
  number: string;
  display: string;
  state: PresenceState;
  /** detail is a second line, e.g. the store of an agent. */
  detail?: string;
}

const modeLabels: Record<CallMode, string> = { video: 'Video', voice: 'Voice', avatar: 'Avatar' };
const modeHints: Record<CallMode, string> = {
  video: 'Camera and microphone',
  voice: 'Microphone only',
  avatar: 'They hear you and see your initials; they can ask to see you',
};

/** ModePicker is the small segmented choice of how to call. */
export function ModePicker({ mode, onMode, name }: { mode: CallMode; onMode(m: CallMode): void; name: string }) {
  return (
    <CallModePicker
      mode={mode}
      onMode={onMode}
      name={name}
      label="Call as"
      names={modeLabels}
      hints={modeHints}
      groupClass="mode-picker"
      optionClass="mode-option"
    />
  );
}

/** phoneWords are the phone's words for the phases it says differently. */
const phoneWords: PhaseText = {
  active: (c, now) => `Connected ${clock((now - (c.connectedAt ?? now)) / 1000, true)}`,
  mailbox: () => 'Leave a message after the tone',
  recording: (c, now) => `Recording ${clock((now - (c.recordingAt ?? now)) / 1000)} / ${clock(c.maxSeconds)}`,
  queued: () => 'Waiting for the next sales agent…',
  callback: () => 'You will be called back',
};

/** stateText is the one line saying where the call stands. */
export function stateText(c: CallView, now: number): string {
  return callStatusText(c, now, phoneWords);
}

export interface CallPanelProps {
  call: CallView;
  client: CallClient;
  /** selfName is this member's name, for the avatar. */
  selfName: string;
}

/** CallPanel is the full-window call screen (a modal dialog). */
export function CallPanel({ call: c, client, selfName }: CallPanelProps) {
  const live = c.phase !== 'ended';
  const now = useTick(live && (c.phase === 'active' || c.phase === 'recording'));
  const mainBtn = useRef<HTMLButtonElement>(null);
  const opener = useRef<Element | null>(document.activeElement);
  const dialog = useRef<HTMLElement>(null);

  useEffect(() => {
    mainBtn.current?.focus();
    const prev = opener.current;
    return () => {
      if (prev instanceof HTMLElement && prev.isConnected) prev.focus();
    };
  }, []);

  // Keep the focus on the main button as the screen changes (Cancel →
  // Hang up → Close), and Tab inside the dialog.
  useEffect(() => {
    if (!dialog.current?.contains(document.activeElement)) mainBtn.current?.focus();
  }, [c.phase]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && c.phase === 'ended') client.dismiss();
      if (e.key !== 'Tab' || !dialog.current) return;
      const items = [...dialog.current.querySelectorAll<HTMLElement>('button:not(:disabled)')];
      if (items.length === 0) return;
      const first = items[0];
      const last = items[items.length - 1];
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [c.phase, client]);

  const [adding, setAdding] = useState(false);
  useEffect(() => {
    if (c.phase !== 'active') setAdding(false);
  }, [c.phase]);
  const conference = isConference(c);
  const wasConference = useRef(false);
  if (conference) wasConference.current = true;
  // After a call of several narrows to two, the one left is whoever the
  // main stream carries now, not necessarily the one first called.
  const onMain = wasConference.current ? mainMember(c)?.name : undefined;
  const peerName = onMain || c.peer.name || 'Unknown caller';
  const peerDisplay = !onMain || onMain === c.peer.name ? c.peer.display : undefined;
  const waiting = c.phase === 'dialing' || c.phase === 'ringing' || c.phase === 'answering';
  const inMailbox = c.phase === 'mailbox' || c.phase === 'recording';
  const showRemoteVideo = live && c.remoteVideoLive && !inMailbox;
  const hidden = c.mode === 'avatar' && !c.sendingVideo;
  const text = stateText(c, now);
  // Until the devices are open the camera button shows its default, disabled.
  const recordedShare = c.phase === 'recording' ? Math.min(1, (now - (c.recordingAt ?? now)) / 1000 / c.maxSeconds) : 0;
  const canAskVideo = c.role === 'callee' && c.phase === 'active' && !c.remoteVideoLive && c.videoAsk !== 'waiting';

  let hangLabel = 'Hang up';
  if (c.phase === 'dialing' || (c.phase === 'ringing' && c.role === 'caller')) hangLabel = 'Cancel';
  if (inMailbox) hangLabel = c.phase === 'recording' ? 'Hang up and send' : 'Hang up';

  return (
    <div class="call-backdrop">
      <section
        ref={dialog}
        class={`call-screen phase-${c.phase}${showRemoteVideo ? ' has-video' : ''}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby="call-title"
        aria-describedby="call-status"
        data-phase={c.phase}
        data-call-id={c.id ?? ''}
      >
        <header class="call-head">
          <div class="call-who">
            <p class="call-eyebrow">{c.role === 'callee' && c.phase === 'answering'
                ? 'Answering…'
                : conference
                  ? conferenceKicker(c)
                  : hidden
                  ? 'Call · you are hidden'
                  : c.video || c.remoteVideoLive || c.sendingVideo
                    ? 'Video call'
                    : 'Voice call'}</p>
            <h2 id="call-title" class="call-title">
              {conference ? conferenceTitle(c) : peerName}
            </h2>
            {peerDisplay && !conference && <p class="call-number mono">{peerDisplay}</p>}
          </div>
          <p id="call-status" class={`call-status${c.phase === 'recording' ? ' is-recording' : ''}`} role="status" aria-live="polite">
            {c.phase === 'recording' && <span class="rec-dot" aria-hidden="true" />}
            {live
              ? text
              : c.lost
                ? text
                : c.connectedAt && c.endedAt
                ? `Ended · ${clock((c.endedAt - c.connectedAt) / 1000, true)}`
                : 'Ended'}
          </p>
        </header>

        <div class={`call-stage${conference ? ' is-conference' : ''}`}>
          {conference ? (
            <ConferenceGrid call={c} />
          ) : (
            <VideoTile stream={c.remoteStream} muted={false} class={`remote-video${showRemoteVideo ? '' : ' is-off'}`} label={`${peerName}'s video`} />
          )}
          {!showRemoteVideo && !conference && (
            <div class="stage-placeholder remote-placeholder">
              <div class={`call-avatar-ring${waiting ? ' is-ringing' : ''}`} aria-hidden="true">
                <span class="avatar call-avatar">{inMailbox ? <VoicemailIcon size={34} /> : initials(peerName)}</span>
              </div>
              {inMailbox ? (
                <div class="mailbox-note">
                  <p class="mailbox-greeting">
                    “{c.greeting || `${peerName} cannot take your call right now. Leave a message after the tone.`}”
                  </p>
                  {c.phase === 'recording' ? (
                    <>
                      <div
                        class="rec-bar"
                        role="progressbar"
                        aria-label="Message length"
                        aria-valuemin={0}
                        aria-valuemax={c.maxSeconds}
                        aria-valuenow={Math.round(recordedShare * c.maxSeconds)}
                      >
                        <span style={{ width: `${recordedShare * 100}%` }} />
                      </div>
                      <p class="muted-light small">Speak now. Hang up to send your message.</p>
                    </>
                  ) : (
                    <p class="muted-light small">Listen to the greeting; recording starts at the tone.</p>
                  )}
                </div>
              ) : c.phase === 'active' ? (
                <p class="muted-light small">{c.video || c.role === 'callee' ? `${peerName} is not sending video.` : 'Voice call'}</p>
              ) : c.phase === 'ended' && c.lost ? (
                <div class="call-lost" role="alert">
                  <p class="call-outcome">{text}</p>
                  <p class="muted-light small">
                    {canCallBack(c) ? `The call with ${peerName} dropped. Call back to carry on.` : `The call with ${peerName} dropped.`}
                  </p>
                </div>
              ) : c.phase === 'ended' && c.canLeaveMessage ? (
                <div class="call-lost" role="alert">
                  <p class="call-outcome">{`${peerName}'s region cannot be reached right now.`}</p>
                  <p class="muted-light small">Leave a message: it is kept here and reaches them as soon as their region can be reached.</p>
                </div>
              ) : c.phase === 'ended' ? (
                <p class="call-outcome">{text}</p>
              ) : null}
            </div>
          )}

          {live && <SelfView call={c} selfName={selfName} classes={{ root: 'self-corner self-view', video: 'local-video', off: 'self-off self-avatar', avatar: 'avatar', note: 'self-note' }} />}

          {c.videoAsked && (
            <div class="call-prompt" role="alertdialog" aria-labelledby="ask-t">
              <p id="ask-t">
                <strong>{peerName}</strong> asks to see you
              </p>
              <div class="call-prompt-actions">
                <button type="button" class="btn btn-primary btn-sm" onClick={() => client.answerVideoRequest(true)}>
                  <VideoIcon size={16} /> Show video
                </button>
                <button type="button" class="btn btn-ghost-light btn-sm" onClick={() => client.answerVideoRequest(false)}>
                  Stay hidden
                </button>
              </div>
            </div>
          )}
          {c.role === 'callee' && c.phase === 'active' && !c.remoteVideoLive && c.videoAsk !== 'none' && (
            <p class="call-toast" role="status">
              {c.videoAsk === 'waiting'
                ? `Asked ${peerName} to show their video…`
                : c.videoAsk === 'declined'
                  ? `${peerName} chose to stay hidden.`
                  : `${peerName} is turning on their camera…`}
            </p>
          )}
          {c.notice && live && (
            <p class="call-toast" role="status">
              {c.notice}
            </p>
          )}
          {adding && c.phase === 'active' && <AddPerson call={c} client={client} onClose={() => setAdding(false)} />}
        </div>

        <footer class="call-controls">
          {live ? (
            <>
              <MuteButton call={c} client={client} class="call-btn" size={22} />
              {!hidden && <CameraButton call={c} client={client} class="call-btn" size={22} disabled={inMailbox} />}
              {canAddPeople(c) && <AddPersonButton open={adding} onOpen={() => setAdding((v) => !v)} />}
              {canAskVideo && (
                <button type="button" class="call-btn" onClick={() => client.askForVideo()}>
                  <VideoIcon size={22} />
                  <span>Ask to see them</span>
                </button>
              )}
              <button
                ref={mainBtn}
                type="button"
                class="call-btn call-btn-hangup"
                onClick={() => {
                  client.hangup();
                  // Cancelling needs no summary: the screen just closes.
                  if (hangLabel === 'Cancel') client.dismiss();
                }}
              >
                <HangUpIcon size={24} />
                <span>{hangLabel}</span>
              </button>
            </>
          ) : c.phase === 'ended' && c.canLeaveMessage ? (
            <>
              <button ref={mainBtn} type="button" class="call-btn call-btn-callback" onClick={() => client.leaveMessage()}>
                <VoicemailIcon size={22} />
                <span>Leave a message</span>
              </button>
              <button type="button" class="btn btn-secondary call-close" onClick={() => client.dismiss()}>
                Close
              </button>
            </>
          ) : canCallBack(c) ? (
            <>
              <button ref={mainBtn} type="button" class="call-btn call-btn-callback" onClick={() => client.callBack()}>
                <PhoneIcon size={22} />
                <span>Call back</span>
              </button>
              <button type="button" class="btn btn-secondary call-close" onClick={() => client.dismiss()}>
                Close
              </button>
            </>
          ) : (
            <button ref={mainBtn} type="button" class="btn btn-secondary call-close" onClick={() => client.dismiss()}>
              Close
            </button>
          )}
        </footer>
      </section>
    </div>
  );
}
