// Small inline icons (24×24, stroke = currentColor), decorative unless labelled.

import type { JSX } from 'preact';

/** IconProps size an icon and give it a class. */
export type IconProps = { size?: number; class?: string };

/** Svg is the shared frame of every icon: 24×24, stroked in currentColor. */
export function Svg(props: IconProps & { children: JSX.Element | JSX.Element[] }) {
  const size = props.size ?? 20;
  return (
    <svg
      class={props.class ?? 'icon'}
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      {props.children}
    </svg>
  );
}

/** KeyIcon stands for passkeys. */
export const KeyIcon = (p: IconProps) => (
  <Svg {...p}>
    <circle cx="7.5" cy="15.5" r="4.5" />
    <path d="M10.7 12.3 21 2" />
    <path d="m16 7 3 3" />
    <path d="m19 4 2 2" />
  </Svg>
);

/** UserIcon stands for an account. */
export const UserIcon = (p: IconProps) => (
  <Svg {...p}>
    <circle cx="12" cy="8" r="4" />
    <path d="M4 21c0-4.4 3.6-8 8-8s8 3.6 8 8" />
  </Svg>
);

/** HeadsetIcon stands for talking to a sales agent. */
export const HeadsetIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M4 14v-2a8 8 0 0 1 16 0v2" />
    <rect x="2.5" y="14" width="4" height="6" rx="1.5" />
    <rect x="17.5" y="14" width="4" height="6" rx="1.5" />
    <path d="M19.5 20c0 1.5-2 2-5 2" />
  </Svg>
);

/** PhoneIcon stands for the phone app and calls. */
export const PhoneIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M22 16.9v3a2 2 0 0 1-2.2 2 19.8 19.8 0 0 1-8.6-3.1 19.5 19.5 0 0 1-6-6A19.8 19.8 0 0 1 2.1 4.2 2 2 0 0 1 4.1 2h3a2 2 0 0 1 2 1.7c.1.9.4 1.8.7 2.7a2 2 0 0 1-.5 2.1L8 9.8a16 16 0 0 0 6 6l1.3-1.3a2 2 0 0 1 2.1-.4c.9.3 1.8.6 2.7.7a2 2 0 0 1 1.7 2z" />
  </Svg>
);

/** ArrowLeftIcon is for back links. */
export const ArrowLeftIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M19 12H5" />
    <path d="m12 19-7-7 7-7" />
  </Svg>
);

/** CloseIcon closes panels. */
export const CloseIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M18 6 6 18" />
    <path d="m6 6 12 12" />
  </Svg>
);

/** StoreIcon stands for a storefront. */
export const StoreIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M3 9 4.5 4h15L21 9" />
    <path d="M3 9h18v2a3 3 0 0 1-6 0 3 3 0 0 1-6 0 3 3 0 0 1-6 0z" />
    <path d="M5 13v8h14v-8" />
    <path d="M10 21v-5h4v5" />
  </Svg>
);

/** ShieldIcon marks staff-only places. */
export const ShieldIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M12 22s8-4 8-10V5l-8-3-8 3v7c0 6 8 10 8 10z" />
  </Svg>
);

/** CheckIcon confirms. */
export const CheckIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M20 6 9 17l-5-5" />
  </Svg>
);

const handset =
  'M22 16.9v3a2 2 0 0 1-2.2 2 19.8 19.8 0 0 1-8.6-3.1 19.5 19.5 0 0 1-6-6A19.8 19.8 0 0 1 2.1 4.2 2 2 0 0 1 4.1 2h3a2 2 0 0 1 2 1.7c.1.9.4 1.8.7 2.7a2 2 0 0 1-.5 2.1L8 9.8a16 16 0 0 0 6 6l1.3-1.3a2 2 0 0 1 2.1-.4c.9.3 1.8.6 2.7.7a2 2 0 0 1 1.7 2z';

/** HangUpIcon is the handset turned down. */
export const HangUpIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d={handset} transform="rotate(135 12 12)" />
  </Svg>
);

/** VideoIcon stands for a camera / video call. */
export const VideoIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="m16 13 5.2 3.1a.5.5 0 0 0 .8-.4V8.3a.5.5 0 0 0-.8-.4L16 11" />
    <rect x="2" y="6" width="14" height="12" rx="2" />
  </Svg>
);

/** VideoOffIcon is a camera turned off. */
export const VideoOffIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M10.7 6H14a2 2 0 0 1 2 2v3.3l1 1L22 8v8" />
    <path d="M16 16a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h2" />
    <path d="m2 2 20 20" />
  </Svg>
);

/** MicIcon is the microphone. */
export const MicIcon = (p: IconProps) => (
  <Svg {...p}>
    <rect x="9" y="2" width="6" height="12" rx="3" />
    <path d="M19 10v1a7 7 0 0 1-14 0v-1" />
    <path d="M12 18v4" />
  </Svg>
);

/** MicOffIcon is a muted microphone. */
export const MicOffIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="m2 2 20 20" />
    <path d="M18.9 13.4A7 7 0 0 0 19 11v-1" />
    <path d="M5 10v1a7 7 0 0 0 12 5" />
    <path d="M15 9.3V5a3 3 0 0 0-5.7-1.3" />
    <path d="M9 9v2a3 3 0 0 0 5.1 2.1" />
    <path d="M12 18v4" />
  </Svg>
);

/** VoicemailIcon stands for the mailbox. */
export const VoicemailIcon = (p: IconProps) => (
  <Svg {...p}>
    <circle cx="6" cy="12" r="4" />
    <circle cx="18" cy="12" r="4" />
    <path d="M6 16h12" />
  </Svg>
);

/** PhoneIncomingIcon marks a call that came in. */
export const PhoneIncomingIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M16 2v6h6" />
    <path d="m22 2-6 6" />
    <path d={handset} />
  </Svg>
);

/** PhoneOutgoingIcon marks a call that went out. */
export const PhoneOutgoingIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M22 8V2h-6" />
    <path d="m16 8 6-6" />
    <path d={handset} />
  </Svg>
);

/** PhoneMissedIcon marks a call nobody answered. */
export const PhoneMissedIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="m22 2-6 6" />
    <path d="m16 2 6 6" />
    <path d={handset} />
  </Svg>
);

/** TrashIcon is for deleting. */
export const TrashIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M3 6h18" />
    <path d="M19 6v14a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V6" />
    <path d="M8 6V4a2 2 0 0 1 2-2h4a2 2 0 0 1 2 2v2" />
  </Svg>
);

/** PlayIcon starts playback. */
export const PlayIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M6 3v18l14-9z" />
  </Svg>
);
