// useCalls binds the shared call client (media/client/call.ts) to the
// phone's signaling socket and hands its snapshot to the screens.

import { useCallClient, type Calls } from '../../media/client/useCallClient';
import type { PhoneSignal } from './usePhoneSignal';

export type { Calls };

/** useCalls keeps one call client for the signed-in phone. */
export function useCalls(signal: PhoneSignal): Calls {
  return useCallClient(signal);
}
