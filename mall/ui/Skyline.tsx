// Skyline: the downtown drawn from the stores, one building per store.

import type { Roof, Store } from '../../backend/web/ui/api';
import type { MallStore } from './shopApi';
import { linkClick, storePath } from './router';
import { queueLong, QueueSign } from './QueueState';
import { visitorsLabel, VisitorsOnBuilding, type WithVisitors } from './Visitors';

const H = 380; // drawing height
const ground = 64; // street band at the bottom
const top = 36; // sky kept free above the tallest roof
const gap = 18;
const margin = 36;

/** hash gives a stable small number per string, so windows light the same way each visit. */
function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** shade mixes a #rrggbb colour toward black (amount < 0) or white (amount > 0). */
export function shade(hex: string, amount: number): string {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  const n = m ? parseInt(m[1], 16) : 0x5b3df5;
  const mix = (c: number) => {
    const t = amount < 0 ? 0 : 255;
    const v = Math.round(c + (t - c) * Math.abs(amount));
    return Math.max(0, Math.min(255, v));
  };
  const r = mix((n >> 16) & 255);
  const g = mix((n >> 8) & 255);
  const b = mix(n & 255);
  return `#${((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)}`;
}

/** luminance is the perceived brightness of a #rrggbb colour, 0..1. */
function luminance(hex: string): number {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  const n = m ? parseInt(m[1], 16) : 0;
  return (0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) / 255;
}

/** label shortens a store name to fit under a building of width w. */
function label(name: string, w: number): string {
  // 12.5px bold system sans averages under 7.8 units a character.
  const max = Math.max(4, Math.floor((w - 12) / 7.8));
  return name.length <= max ? name : `${name.slice(0, max - 1).trimEnd()}…`;
}

interface Placed {
  store: Store;
  x: number;
  w: number;
  h: number;
  roof: Roof;
}

function layout(stores: Store[]): { placed: Placed[]; width: number; floorH: number } {
  const widths = stores.map((s) => Math.max(1, s.building.width || 1));
  const minW = Math.min(...widths);
  const maxW = Math.max(...widths);
  const maxFloors = Math.max(...stores.map((s) => Math.max(1, s.building.floors || 1)));
  const roofRoom = 46;
  const floorH = Math.min(20, (H - ground - top - roofRoom - 14) / maxFloors);
  const ws = stores.map((_, i) => Math.round(104 + (maxW === minW ? 0.5 : (widths[i] - minW) / (maxW - minW)) * 72));
  const row = ws.reduce((a, b) => a + b, 0) + gap * (stores.length - 1);
  // A few stores would be drawn huge; keep a minimum street length and centre the row.
  const width = Math.max(row + 2 * margin, 1000);
  let x = (width - row) / 2;
  const placed = stores.map((store, i) => {
    const w = ws[i];
    const h = Math.round(Math.max(1, store.building.floors || 1) * floorH + 14);
    const p = { store, x, w, h, roof: store.building.roof };
    x += w + gap;
    return p;
  });
  return { placed, width, floorH };
}

function RoofShape({ p, color }: { p: Placed; color: string }) {
  const y = H - ground - p.h;
  const cx = p.x + p.w / 2;
  switch (p.roof) {
    case 'spire':
      return (
        <g>
          <path d={`M${p.x + p.w * 0.2} ${y} L${cx} ${y - 34} L${p.x + p.w * 0.8} ${y} Z`} fill={color} />
          <line x1={cx} y1={y - 34} x2={cx} y2={y - 50} stroke={color} stroke-width="2.5" />
          <circle cx={cx} cy={y - 51} r="2.5" fill="#ffd66b" class="beacon" />
        </g>
      );
    case 'dome':
      return (
        <g>
          <path d={`M${p.x + p.w * 0.18} ${y} A${p.w * 0.32} ${p.w * 0.3} 0 0 1 ${p.x + p.w * 0.82} ${y} Z`} fill={color} />
          <line x1={cx} y1={y - p.w * 0.3} x2={cx} y2={y - p.w * 0.3 - 12} stroke={color} stroke-width="2" />
        </g>
      );
    case 'stepped':
      return (
        <g fill={color}>
          <rect x={p.x + p.w * 0.12} y={y - 14} width={p.w * 0.76} height={14} />
          <rect x={p.x + p.w * 0.26} y={y - 26} width={p.w * 0.48} height={12} />
          <rect x={p.x + p.w * 0.4} y={y - 36} width={p.w * 0.2} height={10} />
        </g>
      );
    default:
      return (
        <g fill={color}>
          <rect x={p.x - 3} y={y - 6} width={p.w + 6} height={6} rx="1" />
          <rect x={p.x + p.w * 0.62} y={y - 18} width={p.w * 0.2} height={12} />
        </g>
      );
  }
}

function Windows({ p, floorH }: { p: Placed; floorH: number }) {
  const y0 = H - ground - p.h + 10;
  const floors = Math.max(1, p.store.building.floors || 1);
  const cols = Math.max(2, Math.floor((p.w - 16) / 16));
  const cellW = (p.w - 16) / cols;
  const winW = Math.min(10, cellW - 5);
  const winH = Math.max(3, Math.min(11, floorH - 6));
  const seed = hash(p.store.slug);
  const rects = [];
  // The ground floor is the shop front; windows start one floor up.
  for (let f = 0; f < floors - 1; f++) {
    for (let c = 0; c < cols; c++) {
      const lit = ((seed >> ((f * cols + c) % 29)) ^ (f * 7 + c * 3)) % 5 !== 0;
      rects.push(
        <rect
          key={`${f}-${c}`}
          x={p.x + 8 + c * cellW + (cellW - winW) / 2}
          y={y0 + f * floorH}
          width={winW}
          height={winH}
          rx="1"
          fill={lit ? '#ffe9a8' : 'rgba(255,255,255,0.22)'}
          opacity={lit ? 0.92 : 1}
        />,
      );
    }
  }
  return <g>{rects}</g>;
}

/** BuildingBody draws the roof, facade, windows and shop front of one placed store. */
function BuildingBody({ p, floorH }: { p: Placed; floorH: number }) {
  const color = p.store.brandColor || '#5b3df5';
  // Trim (roof, awning) is darker than the facade, or lighter for very dark brands
  // so the roof still stands out against the night sky.
  const dark = luminance(color) < 0.22 ? shade(color, 0.3) : shade(color, -0.35);
  const y = H - ground - p.h;
  const base = H - ground;
  const door = Math.min(26, p.w * 0.24);
  return (
    <g class="building-body">
      <RoofShape p={p} color={dark} />
      <rect class="facade" x={p.x} y={y} width={p.w} height={p.h} fill={color} stroke="rgba(255,255,255,0.18)" stroke-width="1" />
      <rect x={p.x + p.w - 10} y={y} width={10} height={p.h} fill={dark} opacity="0.35" />
      <Windows p={p} floorH={floorH} />
      {/* shop front: awning and door */}
      <rect x={p.x + 6} y={base - 26} width={p.w - 12} height={6} rx="2" fill={dark} />
      <rect x={p.x + (p.w - door) / 2} y={base - 18} width={door} height={18} rx="2" fill="#1d2033" opacity="0.75" />
    </g>
  );
}

/** InsideSign hangs over the shop front and says how many shoppers are in the store. */
function InsideSign({ p, count }: { p: Placed; count: number }) {
  const text = `${count} inside`;
  const w = 28 + text.length * 7.1;
  const x = p.x + (p.w - w) / 2;
  const y = H - ground - 52;
  return (
    <g class="inside-sign" aria-hidden="true">
      <rect x={x} y={y} width={w} height={20} rx="10" fill="#ffffff" opacity="0.96" />
      <circle cx={x + 11} cy={y + 10} r="4" fill="#16a34a" class="inside-dot" />
      <text x={x + 20} y={y + 14.5} class="inside-text">
        {text}
      </text>
    </g>
  );
}

/** EntranceGlow lights the shop door and the pavement in front of it: someone is shopping in the store now. */
function EntranceGlow({ p }: { p: Placed }) {
  const base = H - ground;
  const door = Math.min(26, p.w * 0.24);
  const x = p.x + (p.w - door) / 2;
  return (
    <g class="entrance-glow" aria-hidden="true">
      <rect x={x - door * 0.9} y={base - 40} width={door * 2.8} height={40} fill="url(#entrance-spill)" />
      <ellipse class="entrance-halo" cx={p.x + p.w / 2} cy={base - 2} rx={door * 2.6} ry={24} fill="url(#entrance-glow)" />
      <rect x={x} y={base - 18} width={door} height={18} rx="2" fill="#ffc94a" />
      <rect x={x + 2.5} y={base - 15.5} width={door - 5} height={15.5} rx="1.5" fill="#fff6d1" />
      <rect x={p.x + p.w / 2 - door} y={base} width={door * 2} height={5} rx="2.5" fill="#ffd66b" opacity="0.55" />
    </g>
  );
}

function BuildingShape({ p, floorH, dim }: { p: Placed; floorH: number; dim: boolean }) {
  const base = H - ground;
  const to = storePath(p.store.slug);
  const inside = (p.store as MallStore).shoppersInside ?? 0;
  const queue = (p.store as MallStore).queue;
  const visitors = (p.store as WithVisitors).visitors ?? [];
  const shopping = (p.store as { shoppingNow?: boolean }).shoppingNow === true;
  const about = `${p.store.name}: ${p.store.tagline}${shopping ? ' — someone is shopping here now' : ''}${inside > 0 ? ` — ${inside} ${inside === 1 ? 'shopper' : 'shoppers'} inside` : ''}${visitors.length > 0 ? `. ${visitorsLabel(visitors)}` : ''}${queue ? `. ${queueLong(queue)}` : ''}`;
  return (
    <a
      href={to}
      class={`building${dim ? ' dim' : ''}${shopping ? ' is-shopping' : ''}`}
      data-slug={p.store.slug}
      data-shopping={shopping ? 'true' : 'false'}
      aria-label={about}
      onClick={linkClick(to)}
    >
      <title>{about}</title>
      <BuildingBody p={p} floorH={floorH} />
      {shopping && <EntranceGlow p={p} />}
      {inside > 0 && <InsideSign p={p} count={inside} />}
      <VisitorsOnBuilding visitors={visitors} cx={p.x + p.w / 2} y={base - 6} w={p.w} />
      <rect class="name-plate" x={p.x} y={base + 12} width={p.w} height={24} rx="6" fill="#ffffff" />
      <text class="name-text" x={p.x + p.w / 2} y={base + 28} text-anchor="middle">
        {label(p.store.name, p.w)}
      </text>
      <QueueSign cx={p.x + p.w / 2} y={base + 39} queue={queue} room={p.w + gap - 4} />
    </a>
  );
}

/** BuildingArt draws one store's building on its own, for the store's banner. */
export function BuildingArt({ store }: { store: Store }) {
  const { placed, floorH } = layout([store]);
  const p = placed[0];
  const roofTop = H - ground - p.h - 56;
  return (
    <svg
      class="building-art"
      viewBox={`${p.x - 24} ${roofTop} ${p.w + 48} ${H - ground - roofTop + 8}`}
      aria-hidden="true"
      focusable="false"
    >
      <BuildingBody p={p} floorH={floorH} />
      <rect x={p.x - 24} y={H - ground} width={p.w + 48} height={8} rx="3" fill="rgba(0,0,0,0.25)" />
    </svg>
  );
}

/**
 * Skyline draws every store as a building; clicking one opens the store. When
 * lit is given (a search), buildings of other stores are dimmed.
 */
export function Skyline({ stores, lit = null }: { stores: MallStore[]; lit?: Set<string> | null }) {
  const { placed, width, floorH } = layout(stores);
  return (
    <div class="skyline-scroll">
      <svg
        class="skyline"
        viewBox={`0 0 ${width} ${H}`}
        style={{ minWidth: `${Math.min(width, 900)}px` }}
        role="group"
        aria-label={`Downtown skyline: ${stores.length} stores`}
      >
        <defs>
          <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
            <stop offset="0" stop-color="#1e1b4b" />
            <stop offset="0.55" stop-color="#4c3bb8" />
            <stop offset="1" stop-color="#f59e8b" />
          </linearGradient>
          <linearGradient id="entrance-spill" x1="0" y1="1" x2="0" y2="0">
            <stop offset="0" stop-color="#ffd66b" stop-opacity="0.55" />
            <stop offset="1" stop-color="#ffd66b" stop-opacity="0" />
          </linearGradient>
          <radialGradient id="entrance-glow">
            <stop offset="0" stop-color="#ffe08a" stop-opacity="0.95" />
            <stop offset="0.45" stop-color="#ffc94a" stop-opacity="0.45" />
            <stop offset="1" stop-color="#ffc94a" stop-opacity="0" />
          </radialGradient>
        </defs>
        <rect width={width} height={H} fill="url(#sky)" />
        <circle cx={width - 90} cy={70} r={26} fill="#fff4d6" opacity="0.9" />
        {Array.from({ length: 28 }, (_, i) => (
          <circle
            key={i}
            cx={(hash(`s${i}`) % 1000) / 1000 * width}
            cy={10 + ((hash(`t${i}`) % 1000) / 1000) * 120}
            r={i % 3 === 0 ? 1.4 : 0.9}
            fill="#fff"
            opacity="0.7"
          />
        ))}
        {/* distant blocks for depth */}
        <g fill="#2a2670" opacity="0.55">
          {Array.from({ length: Math.ceil(width / 60) }, (_, i) => {
            const bh = 60 + (hash(`b${i}`) % 110);
            return <rect key={i} x={i * 60 - 10} y={H - ground - bh} width={52} height={bh} />;
          })}
        </g>
        <rect x="0" y={H - ground} width={width} height={ground} fill="#2b2d42" />
        <rect x="0" y={H - ground} width={width} height="6" fill="#4a4d68" />
        <g stroke="#f2d16b" stroke-width="3" stroke-dasharray="18 16" opacity="0.6">
          <line x1="0" y1={H - 8} x2={width} y2={H - 8} />
        </g>
        {placed.map((p) => (
          <BuildingShape key={p.store.slug} p={p} floorH={floorH} dim={lit !== null && !lit.has(p.store.slug)} />
        ))}
      </svg>
    </div>
  );
}
