// CallOthers: the further people in the agent's call, on the desk's call
// stage. A supervisor who barged in shows as a named picture beside the
// shopper; one who whispers is heard (an <audio> of their stream) and a
// note says so: the shopper does not hear them. The roster names them; a
// supervisor who only monitors is never in it.

import { useEffect, useRef } from 'preact/hooks';
import { VideoTile } from '../../backend/web/ui/CallKit';
import type { CallView, RemoteStream } from '../../media/client/call';
import './supervise.css';

function nameOf(o: RemoteStream): string {
  return (o.member as { name?: string } | null)?.name || 'Someone';
}

/** Voice plays a stream's audio only. */
function Voice({ stream, label }: { stream: MediaStream; label: string }) {
  const el = useRef<HTMLAudioElement>(null);
  useEffect(() => {
    const a = el.current;
    if (!a) return;
    if (a.srcObject !== stream) a.srcObject = stream;
    a.play().catch(() => {});
  }, [stream, stream.getTracks().length]);
  return <audio ref={el} autoplay aria-label={label} data-testid="whisper-audio" />;
}

/** CallOthers shows and plays the call's further people. */
export function CallOthers({ call: c }: { call: CallView }) {
  if (c.phase === 'ended') return null;
  const others = c.others.filter((o) => o.stream.getTracks().length > 0);
  if (others.length === 0) return null;
  const whisperers = others.filter((o) => o.member?.role === 'whisperer');
  const parties = others.filter((o) => o.member?.role !== 'whisperer');
  return (
    <>
      {parties.length > 0 && (
        <div class="desk-others" data-testid="desk-others">
          {parties.map((o) => (
            <figure key={o.id} class="video-tile desk-other">
              <VideoTile stream={o.stream} muted={false} class="video-tile-video" label={`${nameOf(o)} in the call`} />
              <figcaption>{nameOf(o)}</figcaption>
            </figure>
          ))}
        </div>
      )}
      {whisperers.map((o) => (
        <Voice key={o.id} stream={o.stream} label={`${nameOf(o)}, whispering to you`} />
      ))}
      {whisperers.length > 0 && (
        <p class="desk-whisper" role="status" data-testid="desk-whisper">
          <span class="live-dot" aria-hidden="true" />
          {whisperers.map(nameOf).join(' and ')} {whisperers.length === 1 ? 'is' : 'are'} whispering to you. {c.peer.name ? c.peer.name.split(' ')[0] : 'The shopper'} does not hear it.
        </p>
      )}
    </>
  );
}
