// The icons of the supervisor's steps into calls, in the shared icon frame.

import { Svg, type IconProps } from '../../backend/web/ui/icons';

export { HeadsetIcon, MicIcon } from '../../backend/web/ui/icons';

/** EyeIcon stands for monitoring: watching unseen. */
export const EyeIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12z" />
    <circle cx="12" cy="12" r="3" />
  </Svg>
);

/** UsersIcon stands for barging in: joining the people in the call. */
export const UsersIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2" />
    <circle cx="9" cy="7" r="4" />
    <path d="M22 21v-2a4 4 0 0 0-3-3.87" />
    <path d="M16 3.13a4 4 0 0 1 0 7.75" />
  </Svg>
);
