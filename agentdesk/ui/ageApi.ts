// The endpoints of the agent's age judgement (backend/app/openapi.json:
// POST /desk/engagements/{entry}/age-check, GET /desk/age-evidence) and the
// still frame they carry: a JPEG drawn from the shopper's remote video.

import { api, type OrderState } from '../../backend/web/ui/api';

/** Judged is what an age judgement did, and where its still frame is kept. */
export interface Judged {
  id: string;
  decision: 'confirmed' | 'looks_underage' | 'not_account_holder' | 'refused_by_record';
  verified: boolean;
  reason?: string;
  /** removed names the age-restricted items taken out of the cart and order. */
  removed: string[];
  frameUrl: string;
  frameAt: string;
  keepUntil: string;
  order: { id: string; state: OrderState; totalMinor: number } | null;
}

const enc = encodeURIComponent;

/** ageApi is the typed list of the age judgement's endpoints. */
export const ageApi = {
  judge: (entryId: string, decision: string, frame: string, frameAt: string) =>
    api.post<Judged>(`/desk/engagements/${enc(entryId)}/age-check`, { decision, frame, frameAt }),
  retention: () => api.get<{ retentionDays: number }>('/desk/age-evidence'),
};

/** maxFrameBytes stays under the server's 256 KiB bound. */
const maxFrameBytes = 240 * 1024;

/** frameWidth is the widest frame kept: enough to see a face, small to store. */
const frameWidth = 640;

/**
 * captureFrame draws the shopper's video as it is now (the desk's remote
 * video) into a JPEG: its base64 and the time it was taken. It throws when
 * there is no video to draw.
 */
export async function captureFrame(): Promise<{ frame: string; frameAt: string }> {
  const video = document.querySelector<HTMLVideoElement>('video[data-testid="remote-video"]');
  if (!video || video.videoWidth === 0 || video.videoHeight === 0) {
    throw new Error("The shopper's video shows no picture yet: wait until you see them, then decide.");
  }
  const scale = Math.min(1, frameWidth / video.videoWidth);
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('This browser cannot take a still frame of the video.');
  const frameAt = new Date().toISOString();
  ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
  for (const quality of [0.85, 0.7, 0.5, 0.3]) {
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
    if (blob && blob.size > 0 && blob.size <= maxFrameBytes) return { frame: await base64Of(blob), frameAt };
  }
  throw new Error('The still frame came out too large to keep: try again.');
}

/** base64Of returns the bytes of blob in base64 (no data: prefix). */
function base64Of(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(new Error('The still frame could not be read.'));
    r.readAsDataURL(blob);
  });
}
