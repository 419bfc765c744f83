// The member's notice settings (GET and PUT /api/v1/notices/settings): a
// push and an email for a missed call, and for a new message.
import { api } from '../../backend/web/ui/api';

/** NoticeSettings are what a member is told while away; all on by default. */
export interface NoticeSettings {
  missedCallPush: boolean;
  missedCallEmail: boolean;
  messagePush: boolean;
  messageEmail: boolean;
}

export const noticesApi = {
  get: () => api.get<{ settings: NoticeSettings }>('/notices/settings').then((r) => r.settings),
  save: (s: NoticeSettings) => api.put<{ settings: NoticeSettings }>('/notices/settings', s).then((r) => r.settings),
};
