// The endpoints of the agent's engagement tools (agentdesk/CONTACT_CENTER.md,
// backend/app/openapi.json): the live engagement with the shopper's orders,
// the shopper's cart with add-on suggestions, suggesting into the cart, the
// age check of an order on live video, and sending a credit application.

import { api, type CartLine, type OrderState, type StoreRef } from '../../backend/web/ui/api';

export type { CartLine, OrderState };
import type { BoardProduct, QueueContext } from '../../media/client/protocol';
import type { CreditUpdate } from '../../media/client/messages.gen';

/** EngagementOrder is one of the shopper's orders in the store since they called. */
export interface EngagementOrder {
  id: string;
  state: OrderState;
  totalMinor: number;
  currency: string;
  needsVerification: boolean;
  needsSignature: boolean;
  createdAt: string;
}

/** LiveEngagement is GET /desk/engagements/{entryId} as the tools read it. */
export interface LiveEngagement {
  entryId: string;
  state: string;
  name?: string;
  member: boolean;
  /** accountId is the member shopper's account (absent for a guest). */
  accountId?: string;
  context?: QueueContext;
  /** orders are newest first. */
  orders: EngagementOrder[];
  /** agents name everyone who served the shopper in the engagement, in order (a transfer names both). */
  agents?: string[];
}

/** helpedBy says who served an engagement: "Helped by Maria, then Sam"; '' for nobody yet. */
export function helpedBy(agents: string[] | undefined): string {
  if (!agents || agents.length === 0) return '';
  return `Helped by ${agents.join(', then ')}`;
}

/** ShopperCart is the shopper's cart; store is null while it is empty. */
export interface ShopperCart {
  items: CartLine[];
  subtotalMinor: number;
  taxMinor: number;
  totalMinor: number;
  currency: string;
  store: StoreRef | null;
}

/** SuggestionKind says how an add-on relates to the cart. */
export type SuggestionKind = 'accessory' | 'warranty' | 'bundle' | 'co-purchase';

/** Suggestion is an add-on the desk offers for the cart, with its reason: a product card as the board shows it, and why. */
export interface Suggestion extends BoardProduct {
  kind: SuggestionKind;
  reason: string;
  /** for names the cart item it goes with. */
  for: string;
}

/** EngagementCart is GET /desk/engagements/{entryId}/cart. */
export interface EngagementCart {
  cart: ShopperCart | null;
  suggestions: Suggestion[];
}

/** CreditAnswer is a credit application as the agent follows it: its progress, not the shopper's answers. */
export interface CreditAnswer {
  application: CreditUpdate;
}

const enc = encodeURIComponent;

/** engagementApi is the typed list of the engagement tools' endpoints. */
export const engagementApi = {
  engagement: (entryId: string) => api.get<LiveEngagement>(`/desk/engagements/${enc(entryId)}`),
  cart: (entryId: string) => api.get<EngagementCart>(`/desk/engagements/${enc(entryId)}/cart`),
  suggest: (entryId: string, sku: string, reason?: string) =>
    api.post<{ cart: ShopperCart }>(`/desk/engagements/${enc(entryId)}/cart/items`, reason ? { sku, reason } : { sku }),
  /** sendCredit opens a credit application in the shopper's call panel. */
  sendCredit: (entryId: string) => api.post<CreditAnswer>('/desk/credit-applications', { entryId }).then((r) => r.application),
  /** engagementCredit is the application sent in the engagement (404 when none). */
  engagementCredit: (entryId: string) => api.get<CreditAnswer>(`/desk/engagement-credit/${enc(entryId)}`).then((r) => r.application),
  /** submitCredit submits the signed application on the shopper's behalf. */
  submitCredit: (id: string) => api.post<CreditAnswer>(`/desk/credit-applications/${enc(id)}/submit`, {}).then((r) => r.application),
};

/** orderStateText says an order's state in the agent's words. */
export function orderStateText(state: OrderState | string): string {
  switch (state) {
    case 'draft':
      return 'Placed: waiting for the shopper to sign and pay';
    case 'awaiting_verification':
      return 'Waiting for you to check their age';
    case 'signed':
      return 'Signed: waiting for payment';
    case 'paid':
      return 'Paid: being confirmed';
    case 'confirmed':
      return 'Order confirmed';
    case 'refused':
      return 'Refused';
    case 'abandoned':
      return 'Given up by the shopper';
    default:
      return state;
  }
}
