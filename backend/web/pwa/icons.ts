// The apps' icons, drawn by code at build time (no image files to keep in
// step with the theme): the livemall mark of backend/web/ui/head.html (three
// white bars on the accent colour) as PNGs of any size.

import { deflateSync } from 'node:zlib';

/** accent is the theme's --accent (backend/web/ui/theme.css). */
export const accent = '#5b3df5';

type Rect = { x: number; y: number; w: number; h: number; r: number; alpha: number };

// The mark on a 32-unit grid, as in head.html's favicon.
const bars: Rect[] = [
  { x: 6, y: 14, w: 6, h: 12, r: 1, alpha: 0.75 },
  { x: 13, y: 7, w: 6, h: 19, r: 1, alpha: 1 },
  { x: 20, y: 11, w: 6, h: 15, r: 1, alpha: 0.85 },
];

function inRounded(px: number, py: number, b: Rect): boolean {
  if (px < b.x || py < b.y || px > b.x + b.w || py > b.y + b.h) return false;
  const cx = Math.min(Math.max(px, b.x + b.r), b.x + b.w - b.r);
  const cy = Math.min(Math.max(py, b.y + b.r), b.y + b.h - b.r);
  return (px - cx) ** 2 + (py - cy) ** 2 <= b.r * b.r;
}

/**
 * iconPNG draws the mark at size × size pixels. A maskable icon fills the
 * square with the accent and keeps the mark inside the central safe zone
 * (a circle of 80 % of the size) so any mask shape keeps it whole; a plain
 * icon is a rounded square on transparency.
 */
export function iconPNG(size: number, { maskable = false } = {}): Buffer {
  const [ar, ag, ab] = [1, 3, 5].map((i) => parseInt(accent.slice(i, i + 2), 16));
  const tile: Rect = maskable ? { x: 0, y: 0, w: 32, h: 32, r: 0, alpha: 1 } : { x: 0, y: 0, w: 32, h: 32, r: 8, alpha: 1 };
  // The mark spans x 6–26, y 7–26: scaled by 0.62 about the centre it sits
  // well inside the safe circle.
  const scale = maskable ? 0.62 : 1;
  const ss = 4; // samples per pixel side, for smooth edges
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    const row = y * (size * 4 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      let cover = 0;
      let white = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const gx = ((x + (sx + 0.5) / ss) / size) * 32;
          const gy = ((y + (sy + 0.5) / ss) / size) * 32;
          if (!inRounded(gx, gy, tile)) continue;
          cover++;
          const mx = 16 + (gx - 16) / scale;
          const my = 16.5 + (gy - 16.5) / scale;
          for (const b of bars) {
            if (inRounded(mx, my, b)) {
              white += b.alpha;
              break;
            }
          }
        }
      }
      const n = ss * ss;
      const a = cover / n;
      const w = cover ? white / cover : 0;
      const o = row + 1 + x * 4;
      raw[o] = Math.round(ar + (255 - ar) * w);
      raw[o + 1] = Math.round(ag + (255 - ag) * w);
      raw[o + 2] = Math.round(ab + (255 - ab) * w);
      raw[o + 3] = Math.round(a * 255);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (const byte of b) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
