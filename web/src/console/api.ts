// The agent console's view of the REST API: cookie session + X-CSRF-Token on state changes.

import { ApiError, requestJson, type RequestOptions } from '../shared/http';
import type { Agent, Conversation, ListPage, Message, SessionInfo } from '../shared/types';
import type { Mention, MessageHit } from './agent-tools';
import type { CannedResponse } from './canned';
import type { Macro, MacroActions, MacroPreview, MacroRun } from './macros';
import type { MacroRunRow } from './macro-runs';
import type { ServiceSettings } from './service-settings';

export interface AgentAvailability {
  agent_id: string;
  name: string;
  status: 'online' | 'away';
  capacity: number;
  own_capacity: number | null;
  load: number;
  updated_at: string | null;
}

const BASE = '/api/v1';

/** An agent's upload (POST /api/v1/media), not yet sent. */
export interface UploadedMedia {
  id: string;
  mime_type: string;
  filename: string;
  size: number;
  sha256: string;
}

export interface Channel {
  id: string;
  type: string;
  name: string;
  webhook_url: string;
  settings: Record<string, unknown>;
  created_at: string;
}

/** `POST /api/v1/channels/{id}/test`. */
export interface ChannelTest {
  channel_id: string;
  type: string;
  ok: boolean;
  account?: { id: string; name: string; detail: string };
  error?: { code: string; message: string; http_status?: number };
  tested_at: string;
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: string[];
  secret?: string;
  created_at: string;
}

export interface WebhookDelivery {
  id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  created_at: string;
}

export interface ProductVariant {
  sku: string;
  title: string;
  prices: Record<string, number>;
  stock: number | null;
}

export interface Product {
  id: string;
  handle: string;
  status: string;
  title: Record<string, string>;
  images: Array<{ url: string; alt?: string }>;
  variants: ProductVariant[];
}

export interface CartTotals {
  currency: string;
  subtotal: number;
  discount_total: number;
  shipping_total: number;
  tax_total: number;
  total: number;
  /** The agent's own discount (part of discount_total). */
  manual_discount?: number;
  tax_inclusive?: boolean;
  shipping?: { id: string; name: string; amount: number } | null;
  discount?: { code?: string | null; applied?: boolean; refusal?: { code?: string; message?: string } | null } | null;
}

export interface Cart {
  id: string;
  contact_id: string;
  conversation_id: string | null;
  currency: string;
  status: string;
  discount_code: string | null;
  shipping_option?: string | null;
  reserved_until?: string | null;
  items: Array<{ sku: string; title: string; unit_price: number; quantity: number }>;
  totals?: CartTotals;
}

export interface PaymentLink {
  id: string;
  url: string;
  status: string;
  verification_code: string;
  amount: number;
  currency: string;
  cart_id?: string | null;
  /** Store credit spent on it; `due` = amount - credit_applied. */
  credit_applied?: number;
  due?: number;
}

/** What the console needs of `GET /api/v1/commerce/settings`. */
export interface CommerceSettings {
  currency: string;
  shipping_options: Array<{ id: string; name: string; prices: Record<string, number>; free_over?: Record<string, number> }>;
}

/** A payment as `GET /api/v1/payments/{id}` answers it (docs/api.md#payments). */
export interface Payment {
  id: string;
  status: string;
  amount: number;
  currency: string;
  captured: number;
  refunded: number;
  refundable: number;
  conversation_id: string | null;
  refunds?: Refund[];
}

export interface Refund {
  id: string;
  payment_id: string;
  amount: number;
  currency: string;
  reason: string;
  status: 'pending_approval' | 'processing' | 'succeeded' | 'failed' | 'rejected' | (string & {});
  requested_by: string | null;
  approved_by: string | null;
  error: string | null;
  created_at: string;
}

/** A team of agents (docs/service.md#teams-and-transfer). */
export interface Team {
  id: string;
  name: string;
  agent_ids: string[];
  created_at: string;
  updated_at: string;
}

/** `POST /api/v1/conversations/{id}/transfer`: where to (a team, an agent or both) and why. */
export interface TransferRequest {
  team_id?: string | null;
  agent_id?: string | null;
  note?: string;
}

/** A knowledge-base entry (docs/bot.md). */
export interface KbEntry {
  id: string;
  language: string;
  questions: string[];
  answer: string;
  tags: string[];
  product_ids: string[];
}

export interface KbSearchResult {
  language: string;
  intent: string;
  outcome: string;
  entry_id: string | null;
  confidence: number;
  reply: string | null;
}

/** A discount code as `GET /api/v1/discounts` lists it (value: basis points for percentages). */
export interface Discount {
  id: string;
  code: string;
  kind: string;
  value: number;
  currency: string | null;
  starts_at: string | null;
  ends_at: string | null;
  usage_limit: number | null;
  per_customer_limit: number | null;
  minimum_subtotal: number | null;
  used_count: number;
  created_at: string;
}

export interface NewDiscount {
  code: string;
  kind: string;
  percent?: string;
  value?: number;
  currency?: string;
  starts_at?: string;
  ends_at?: string;
  usage_limit?: number;
  per_customer_limit?: number;
  minimum_subtotal?: number;
}

/** `GET /api/v1/contacts/{id}/profile` (docs/commerce.md#customer-profile). */
export interface CustomerProfile {
  contact: { id: string; name: string; email: string | null; phone: string | null; created_at: string };
  customer: 'new' | 'returning';
  order_count: number;
  lifetime_value: Record<string, number>;
  last_order: { id: string; number: number; status: string; total: number; currency: string; created_at: string } | null;
  open_carts: Array<{ id: string; conversation_id: string | null; currency: string; items: number; total: number | null }>;
  conversations: Array<{ id: string; channel_type: string; status: string; last_message_at: string; last_message_text: string | null }>;
  bought_together: Array<{ product_id: string; title: string; sku: string; orders_together: number }>;
  rewards: Array<{ rule_id: string; name: string; min_orders: number; eligible: boolean }>;
}

/** `GET /api/v1/contacts/{id}/opt_out`: out of proactive messages (docs/service.md#proactive-messages). */
export interface OptOut {
  contact_id: string;
  opted_out: boolean;
  source: 'customer' | 'agent' | 'api' | null;
  keyword: string | null;
  updated_at: string | null;
}

/** A WhatsApp template and what fills its body parameters, in order. */
export interface TemplateChoice {
  name: string;
  language: string;
  parameters: string[];
}

/** `GET /api/v1/proactive/settings` (docs/api.md#proactive-messages-abandoned-carts-order-updates-opt-out). */
export interface ProactiveSettings {
  cart_reminder: { enabled: boolean; delay_seconds: number; message: string | null; template: TemplateChoice | null };
  order_updates: { enabled: boolean; paid: TemplateChoice | null; fulfilled: TemplateChoice | null };
}

export interface CartReminder {
  cart_id: string;
  contact_id: string;
  status: 'queued' | 'running' | 'sent' | 'skipped' | (string & {});
  reason: string | null;
  conversation_id: string | null;
  channel: string | null;
  mode: string | null;
  message_id: string | null;
  currency: string | null;
  total: number | null;
  queued_at: string;
  done_at: string | null;
}

export interface PaymentProvider {
  id: string;
  type: string;
  name: string;
  settings: Record<string, unknown>;
  webhook_url: string;
  created_at?: string;
}

export interface PaymentSettings {
  refund_approval_threshold: number | null;
  payout_approval_threshold: number | null;
}

/** A payout of a customer's store credit through the payment provider (docs/payments.md). */
export interface Payout {
  id: string;
  contact_id: string;
  provider_id: string;
  amount: number;
  currency: string;
  reason: string;
  status: 'pending_approval' | 'processing' | 'succeeded' | 'failed' | 'rejected' | (string & {});
  requested_by: string;
  approved_by: string | null;
  provider_ref: string | null;
  created_at: string;
  updated_at: string;
}

/** `GET /api/v1/contacts/{id}` (docs/api.md#contacts-identities-and-merging). */
export interface Contact {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  identities: Array<{ channel_id: string; channel_type: string; external_id: string; created_at: string }>;
}

/** A report as `GET /api/v1/reports/{name}` answers it (docs/api.md#reports). */
export interface Report {
  report: string;
  from: string;
  to: string;
  time_zone: string;
  window_days: number;
  source: 'day' | 'hour';
  columns: string[];
  rows: Record<string, string | number | null>[];
}

export interface ReportQuery {
  from: string;
  to: string;
  tz?: string;
}

/** The URL of a report's CSV export (a plain link: the session cookie authenticates the GET). */
export function reportCsvUrl(name: string, q: ReportQuery): string {
  const qs = new URLSearchParams({ from: q.from, to: q.to });
  if (q.tz) qs.set('tz', q.tz);
  return `${BASE}/reports/${encodeURIComponent(name)}.csv?${qs.toString()}`;
}

export class ConsoleApi {
  private csrf: string | null = null;
  /** Called when a request answers 401 (session gone): the console shows the login form. */
  onUnauthenticated: (() => void) | null = null;

  private async call<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    const method = (opts.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = { ...opts.headers };
    if (method !== 'GET' && method !== 'HEAD' && this.csrf) headers['X-CSRF-Token'] = this.csrf;
    try {
      return await requestJson<T>(BASE + path, { ...opts, method, headers, credentials: 'same-origin' });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401 && path !== '/auth/login' && path !== '/auth/session') {
        this.csrf = null;
        this.onUnauthenticated?.();
      }
      throw e;
    }
  }

  report(name: string, q: ReportQuery): Promise<Report> {
    const qs = new URLSearchParams({ from: q.from, to: q.to });
    if (q.tz) qs.set('tz', q.tz);
    return this.call<Report>(`/reports/${encodeURIComponent(name)}?${qs.toString()}`);
  }

  reportSettings(): Promise<{ time_zone: string; attribution_window_days: number }> {
    return this.call('/reports/settings');
  }

  async session(): Promise<SessionInfo> {
    const s = await this.call<SessionInfo>('/auth/session');
    this.csrf = s.csrf_token;
    return s;
  }

  async login(email: string, password: string): Promise<SessionInfo> {
    const s = await this.call<SessionInfo>('/auth/login', { method: 'POST', body: { email, password } });
    this.csrf = s.csrf_token;
    return s;
  }

  async logout(): Promise<void> {
    try {
      await this.call<void>('/auth/logout', { method: 'POST' });
    } finally {
      this.csrf = null;
    }
  }

  /** Every page of conversations, up to `maxPages` pages of 200 (only a team's with `teamId`). */
  async listConversations(maxPages = 5, teamId?: string): Promise<Conversation[]> {
    const path = teamId ? `/conversations?team_id=${encodeURIComponent(teamId)}` : '/conversations';
    return this.collect<Conversation>(path, maxPages);
  }

  // ---- teams and transfer (docs/service.md#teams-and-transfer)

  async listTeams(): Promise<Team[]> {
    return (await this.call<ListPage<Team>>('/teams')).data;
  }

  createTeam(t: { name: string; agent_ids: string[] }): Promise<Team> {
    return this.call<Team>('/teams', { method: 'POST', body: t, headers: { 'Idempotency-Key': newKey() } });
  }

  updateTeam(id: string, t: { name?: string; agent_ids?: string[] }): Promise<Team> {
    return this.call<Team>(`/teams/${encodeURIComponent(id)}`, { method: 'PATCH', body: t });
  }

  async deleteTeam(id: string): Promise<void> {
    await this.call<unknown>(`/teams/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  transfer(conversationId: string, req: TransferRequest): Promise<Conversation & { note_message_id: string | null }> {
    return this.call(`/conversations/${encodeURIComponent(conversationId)}/transfer`, { method: 'POST', body: req });
  }

  // ---- macros (docs/service.md#macros)

  async listMacros(): Promise<Macro[]> {
    return (await this.call<ListPage<Macro>>('/macros')).data;
  }

  createMacro(m: { name: string; description: string; actions: MacroActions }): Promise<Macro> {
    return this.call<Macro>('/macros', { method: 'POST', body: m, headers: { 'Idempotency-Key': newKey() } });
  }

  updateMacro(id: string, m: { name: string; description: string; actions: MacroActions }): Promise<Macro> {
    return this.call<Macro>(`/macros/${encodeURIComponent(id)}`, { method: 'PATCH', body: m });
  }

  async deleteMacro(id: string): Promise<void> {
    await this.call<unknown>(`/macros/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  previewMacro(conversationId: string, macroId: string): Promise<MacroPreview> {
    return this.call<MacroPreview>(`/conversations/${encodeURIComponent(conversationId)}/macros/${encodeURIComponent(macroId)}/preview`);
  }

  /** The macro audit, newest first (GET /api/v1/macro_runs). */
  async listMacroRuns(q: { macro_id?: string; limit?: number } = {}): Promise<MacroRunRow[]> {
    const params = new URLSearchParams();
    if (q.macro_id) params.set('macro_id', q.macro_id);
    if (q.limit) params.set('limit', String(q.limit));
    const qs = params.toString();
    return (await this.call<ListPage<MacroRunRow>>(`/macro_runs${qs ? `?${qs}` : ''}`)).data;
  }

  runMacro(conversationId: string, macroId: string): Promise<MacroRun> {
    return this.call<MacroRun>(`/conversations/${encodeURIComponent(conversationId)}/macros/${encodeURIComponent(macroId)}/run`, {
      method: 'POST',
      headers: { 'Idempotency-Key': newKey() },
    });
  }

  getConversation(id: string): Promise<Conversation> {
    return this.call<Conversation>(`/conversations/${encodeURIComponent(id)}`);
  }

  /** Messages of a conversation, oldest first (every page, up to `maxPages` pages of 200). */
  listMessages(id: string, maxPages = 20): Promise<Message[]> {
    return this.collect<Message>(`/conversations/${encodeURIComponent(id)}/messages`, maxPages);
  }

  // ---- agent tools (docs/api.md#searching-messages, #internal-notes-and-mentions)

  searchMessages(q: string, cursor: string | null): Promise<ListPage<MessageHit>> {
    const qs = new URLSearchParams({ q, limit: '20' });
    if (cursor) qs.set('cursor', cursor);
    return this.call<ListPage<MessageHit>>(`/search/messages?${qs.toString()}`);
  }

  listMentions(unread: boolean): Promise<ListPage<Mention> & { unread_count: number }> {
    return this.call(`/mentions?unread=${unread ? 'true' : 'false'}&limit=50`);
  }

  markMentionRead(id: string): Promise<Mention> {
    return this.call<Mention>(`/mentions/${encodeURIComponent(id)}/read`, { method: 'POST' });
  }

  markAllMentionsRead(): Promise<{ marked: number }> {
    return this.call<{ marked: number }>('/mentions/read', { method: 'POST' });
  }

  sendMessage(id: string, text: string, kind: 'text' | 'note'): Promise<Message> {
    const body: { text: string; kind?: string } = { text };
    if (kind === 'note') body.kind = 'note';
    return this.call<Message>(`/conversations/${encodeURIComponent(id)}/messages`, { method: 'POST', body });
  }

  /**
   * Uploads a file to send (POST /api/v1/media): the bytes as the body, its type and name;
   * `onProgress` gets the bytes sent so far as they go out.
   */
  uploadMedia(file: Blob, filename: string, signal?: AbortSignal, onProgress?: (sent: number, total: number) => void): Promise<UploadedMedia> {
    return this.call<UploadedMedia>(`/media?filename=${encodeURIComponent(filename)}`, {
      method: 'POST',
      raw: file,
      contentType: file.type || 'application/octet-stream',
      signal,
      onUploadProgress: onProgress,
    });
  }

  /** Uploaded files as one message (kind attachment), the text as their caption. */
  sendAttachments(id: string, mediaIds: string[], caption: string): Promise<Message> {
    const body: Record<string, unknown> = {
      kind: 'attachment',
      content: { attachments: mediaIds.map((media_id) => ({ media_id })) },
    };
    if (caption) body.text = caption;
    return this.call<Message>(`/conversations/${encodeURIComponent(id)}/messages`, {
      method: 'POST',
      body,
      headers: { 'Idempotency-Key': newKey() },
    });
  }

  /** A WhatsApp template (the only thing WhatsApp takes outside its 24-hour window). */
  sendTemplate(id: string, template: { name: string; language: string; parameters: string[] }): Promise<Message> {
    return this.call<Message>(`/conversations/${encodeURIComponent(id)}/messages`, {
      method: 'POST',
      body: { kind: 'template', template },
      headers: { 'Idempotency-Key': newKey() },
    });
  }

  /** Snoozed until an ISO time, or until the customer writes (null). */
  snoozeConversation(id: string, until: string | null): Promise<Conversation> {
    return this.call<Conversation>(`/conversations/${encodeURIComponent(id)}/snooze`, { method: 'POST', body: { until } });
  }

  updateConversation(id: string, patch: Partial<Pick<Conversation, 'status' | 'priority' | 'assignee_id' | 'tags'>>): Promise<Conversation> {
    return this.call<Conversation>(`/conversations/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch });
  }

  getServiceSettings(): Promise<ServiceSettings> {
    return this.call<ServiceSettings>('/service/settings');
  }

  patchServiceSettings(patch: Record<string, unknown>): Promise<ServiceSettings> {
    return this.call<ServiceSettings>('/service/settings', { method: 'PATCH', body: patch });
  }

  /** Every agent's availability (online/away), capacity and load. */
  async listAvailability(): Promise<AgentAvailability[]> {
    return (await this.call<ListPage<AgentAvailability>>('/agents/availability')).data;
  }

  setAvailability(agentId: string, status: 'online' | 'away'): Promise<AgentAvailability> {
    return this.call<AgentAvailability>(`/agents/${encodeURIComponent(agentId)}/availability`, { method: 'PUT', body: { status } });
  }

  async listCanned(): Promise<CannedResponse[]> {
    return (await this.call<ListPage<CannedResponse>>('/canned_responses')).data;
  }

  async renderCanned(id: string, conversationId: string): Promise<string> {
    const r = await this.call<{ text: string }>(`/canned_responses/${encodeURIComponent(id)}/render`, {
      method: 'POST',
      body: { conversation_id: conversationId },
    });
    return r.text;
  }

  createCanned(c: { shortcut: string; title: string; body: string }): Promise<CannedResponse> {
    return this.call<CannedResponse>('/canned_responses', { method: 'POST', body: c, headers: { 'Idempotency-Key': newKey() } });
  }

  updateCanned(id: string, c: { shortcut: string; title: string; body: string }): Promise<CannedResponse> {
    return this.call<CannedResponse>(`/canned_responses/${encodeURIComponent(id)}`, { method: 'PATCH', body: c });
  }

  async deleteCanned(id: string): Promise<void> {
    await this.call<unknown>(`/canned_responses/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  // ---- knowledge base (docs/bot.md)

  listKbEntries(): Promise<KbEntry[]> {
    return this.collect<KbEntry>('/kb/entries', 50);
  }

  /** Saves one entry (an upsert by id through the import). */
  async saveKbEntry(e: KbEntry): Promise<void> {
    await this.call<unknown>('/kb/import', { method: 'POST', body: { entries: [e] }, headers: { 'Idempotency-Key': newKey() } });
  }

  async deleteKbEntry(id: string): Promise<void> {
    await this.call<unknown>(`/kb/entries/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  searchKb(text: string): Promise<KbSearchResult> {
    return this.call<KbSearchResult>('/kb/search', { method: 'POST', body: { text } });
  }

  // ---- discount codes (docs/commerce.md)

  listDiscounts(): Promise<Discount[]> {
    return this.collect<Discount>('/discounts', 10);
  }

  createDiscount(d: NewDiscount): Promise<Discount> {
    return this.call<Discount>('/discounts', { method: 'POST', body: d, headers: { 'Idempotency-Key': newKey() } });
  }

  listAgents(): Promise<Agent[]> {
    return this.collect<Agent>('/agents', 5);
  }

  createAgent(a: { email: string; name: string; role: 'admin' | 'agent'; password: string }): Promise<Agent> {
    return this.call<Agent>('/agents', { method: 'POST', body: a, headers: { 'Idempotency-Key': newKey() } });
  }

  updateAgent(id: string, patch: { name?: string; role?: 'admin' | 'agent' }): Promise<Agent> {
    return this.call<Agent>(`/agents/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch });
  }

  listChannels(): Promise<Channel[]> {
    return this.collect<Channel>('/channels', 5);
  }

  /** A connection test: the provider's identity call with the channel's credentials (admins). */
  testChannel(id: string): Promise<ChannelTest> {
    return this.call<ChannelTest>(`/channels/${encodeURIComponent(id)}/test`, { method: 'POST', body: {} });
  }

  createChannel(type: string, name: string, settings: Record<string, string>): Promise<Channel> {
    return this.call<Channel>('/channels', { method: 'POST', body: { type, name, settings }, headers: { 'Idempotency-Key': newKey() } });
  }

  listWebhookEndpoints(): Promise<WebhookEndpoint[]> {
    return this.collect<WebhookEndpoint>('/webhook_endpoints', 5);
  }

  createWebhookEndpoint(url: string, events: string[]): Promise<WebhookEndpoint> {
    const body: { url: string; events?: string[] } = { url };
    if (events.length) body.events = events;
    return this.call<WebhookEndpoint>('/webhook_endpoints', { method: 'POST', body, headers: { 'Idempotency-Key': newKey() } });
  }

  /** The newest attempts first is what an admin wants; the API pages oldest first, so take the last. */
  async listDeliveries(endpointId: string): Promise<WebhookDelivery[]> {
    const all = await this.collect<WebhookDelivery>(`/webhook_endpoints/${encodeURIComponent(endpointId)}/deliveries`, 10);
    return all.slice(-200).reverse();
  }

  // ---- selling in the conversation (docs/commerce.md#product-cards-and-cart-summaries)

  searchProducts(q: string): Promise<ListPage<Product>> {
    const qs = new URLSearchParams({ limit: '8' });
    if (q.trim()) qs.set('q', q.trim());
    return this.call<ListPage<Product>>(`/products?${qs.toString()}`);
  }

  /** A product card (kind "product") for a variant into the conversation. */
  sendProduct(conversationId: string, sku: string): Promise<Message> {
    return this.call<Message>(`/conversations/${encodeURIComponent(conversationId)}/messages`, {
      method: 'POST',
      body: { kind: 'product', sku },
      headers: { 'Idempotency-Key': newKey() },
    });
  }

  /** Several products (2-10) in one message: kind "product" with content.products, a carousel where it can be one. */
  sendProducts(conversationId: string, skus: string[]): Promise<Message> {
    return this.call<Message>(`/conversations/${encodeURIComponent(conversationId)}/messages`, {
      method: 'POST',
      body: { kind: 'product', products: skus.map((sku) => ({ sku })) },
      headers: { 'Idempotency-Key': newKey() },
    });
  }

  /** The cart's summary (kind "cart") into the conversation. */
  sendCart(conversationId: string, cartId: string): Promise<Message> {
    return this.call<Message>(`/conversations/${encodeURIComponent(conversationId)}/messages`, {
      method: 'POST',
      body: { kind: 'cart', cart_id: cartId },
      headers: { 'Idempotency-Key': newKey() },
    });
  }

  createCart(conversationId: string): Promise<Cart> {
    return this.call<Cart>('/carts', { method: 'POST', body: { conversation_id: conversationId }, headers: { 'Idempotency-Key': newKey() } });
  }

  getCart(id: string): Promise<Cart> {
    return this.call<Cart>(`/carts/${encodeURIComponent(id)}`);
  }

  addCartItem(cartId: string, sku: string, quantity: number): Promise<Cart> {
    return this.call<Cart>(`/carts/${encodeURIComponent(cartId)}/items`, { method: 'POST', body: { sku, quantity } });
  }

  removeCartItem(cartId: string, sku: string): Promise<Cart> {
    return this.call<Cart>(`/carts/${encodeURIComponent(cartId)}/items/${encodeURIComponent(sku)}`, { method: 'DELETE' });
  }

  applyDiscount(cartId: string, code: string): Promise<Cart> {
    return this.call<Cart>(`/carts/${encodeURIComponent(cartId)}/discount`, { method: 'POST', body: { code } });
  }

  setCartItemQuantity(cartId: string, sku: string, quantity: number): Promise<Cart> {
    return this.call<Cart>(`/carts/${encodeURIComponent(cartId)}/items/${encodeURIComponent(sku)}`, { method: 'PATCH', body: { quantity } });
  }

  /** A shipping option id from the shop's settings, or null for none. */
  setCartShipping(cartId: string, option: string | null): Promise<Cart> {
    return this.call<Cart>(`/carts/${encodeURIComponent(cartId)}`, { method: 'PATCH', body: { shipping_option: option } });
  }

  setManualDiscount(cartId: string, body: { kind: string; percent?: string; value?: number; reason?: string }): Promise<Cart> {
    return this.call<Cart>(`/carts/${encodeURIComponent(cartId)}/manual_discount`, { method: 'POST', body });
  }

  commerceSettings(): Promise<CommerceSettings> {
    return this.call<CommerceSettings>('/commerce/settings');
  }

  /** A payment link for the cart, sent into the conversation; `applyCredit`: the customer's store credit pays first. */
  createCartPaymentLink(conversationId: string, cartId: string, applyCredit = false): Promise<PaymentLink> {
    return this.call<PaymentLink>('/payment_links', {
      method: 'POST',
      body: applyCredit ? { conversation_id: conversationId, cart_id: cartId, apply_credit: true } : { conversation_id: conversationId, cart_id: cartId },
      headers: { 'Idempotency-Key': newKey() },
    });
  }

  // ---- payments and refunds (docs/api.md#payments)

  getPayment(id: string): Promise<Payment> {
    return this.call<Payment>(`/payments/${encodeURIComponent(id)}`);
  }

  /** `key`: the Idempotency-Key (required by the server; one per confirmed refund). */
  requestRefund(paymentId: string, amount: number, reason: string, key: string): Promise<Refund> {
    return this.call<Refund>(`/payments/${encodeURIComponent(paymentId)}/refunds`, {
      method: 'POST',
      body: { amount, reason },
      headers: { 'Idempotency-Key': key },
    });
  }

  approveRefund(id: string): Promise<Refund> {
    return this.call<Refund>(`/refunds/${encodeURIComponent(id)}/approve`, { method: 'POST', body: {} });
  }

  rejectRefund(id: string): Promise<Refund> {
    return this.call<Refund>(`/refunds/${encodeURIComponent(id)}/reject`, { method: 'POST', body: {} });
  }

  listPaymentProviders(): Promise<PaymentProvider[]> {
    return this.collect<PaymentProvider>('/payment_providers', 5);
  }

  createPaymentProvider(type: string, name: string, settings: Record<string, string | number>): Promise<PaymentProvider> {
    return this.call<PaymentProvider>('/payment_providers', { method: 'POST', body: { type, name, settings }, headers: { 'Idempotency-Key': newKey() } });
  }

  paymentSettings(): Promise<PaymentSettings> {
    return this.call<PaymentSettings>('/payment_settings');
  }

  putPaymentSettings(s: PaymentSettings): Promise<PaymentSettings> {
    return this.call<PaymentSettings>('/payment_settings', { method: 'PUT', body: s });
  }

  customerProfile(contactId: string): Promise<CustomerProfile> {
    return this.call<CustomerProfile>(`/contacts/${encodeURIComponent(contactId)}/profile`);
  }

  /** A personal single-use code from a reward rule the customer qualifies for (409 not_eligible). */
  giveReward(contactId: string, ruleId: string, key: string): Promise<Discount> {
    return this.call<Discount>(`/contacts/${encodeURIComponent(contactId)}/rewards`, {
      method: 'POST',
      body: { rule_id: ruleId },
      headers: { 'Idempotency-Key': key },
    });
  }

  async creditBalances(contactId: string): Promise<Array<{ currency: string; balance: number }>> {
    return (await this.call<ListPage<{ currency: string; balance: number }>>(`/contacts/${encodeURIComponent(contactId)}/credit`)).data;
  }

  /** Store credit for the customer (admins); `key`: one Idempotency-Key per confirmed grant. */
  grantCredit(contactId: string, amount: number, currency: string, reason: string, key: string): Promise<{ balance: number }> {
    return this.call<{ balance: number }>(`/contacts/${encodeURIComponent(contactId)}/credit`, {
      method: 'POST',
      body: { amount, currency, reason },
      headers: { 'Idempotency-Key': key },
    });
  }

  proactiveSettings(): Promise<ProactiveSettings> {
    return this.call<ProactiveSettings>('/proactive/settings');
  }

  patchProactiveSettings(patch: Record<string, unknown>): Promise<ProactiveSettings> {
    return this.call<ProactiveSettings>('/proactive/settings', { method: 'PATCH', body: patch });
  }

  async cartReminders(): Promise<CartReminder[]> {
    return (await this.call<ListPage<CartReminder>>('/proactive/cart_reminders?limit=20')).data;
  }

  optOut(contactId: string): Promise<OptOut> {
    return this.call<OptOut>(`/contacts/${encodeURIComponent(contactId)}/opt_out`);
  }

  setOptOut(contactId: string, optedOut: boolean): Promise<OptOut> {
    return this.call<OptOut>(`/contacts/${encodeURIComponent(contactId)}/opt_out`, { method: 'PUT', body: { opted_out: optedOut } });
  }

  /** `key`: one Idempotency-Key per confirmed payout. */
  requestPayout(contactId: string, amount: number, currency: string, reason: string, key: string): Promise<Payout> {
    return this.call<Payout>('/payouts', {
      method: 'POST',
      body: { contact_id: contactId, amount, currency, reason },
      headers: { 'Idempotency-Key': key },
    });
  }

  /** Newest first; `status` '' for every payout. */
  listPayouts(status = ''): Promise<Payout[]> {
    return this.collect<Payout>(status ? `/payouts?status=${encodeURIComponent(status)}` : '/payouts', 5);
  }

  approvePayout(id: string): Promise<Payout> {
    return this.call<Payout>(`/payouts/${encodeURIComponent(id)}/approve`, { method: 'POST', body: {} });
  }

  rejectPayout(id: string): Promise<Payout> {
    return this.call<Payout>(`/payouts/${encodeURIComponent(id)}/reject`, { method: 'POST', body: {} });
  }

  getContact(id: string): Promise<Contact> {
    return this.call<Contact>(`/contacts/${encodeURIComponent(id)}`);
  }

  /** Merges `fromId` into `keepId` (the same customer); `key`: one Idempotency-Key per confirmed merge. */
  mergeContact(keepId: string, fromId: string, key: string): Promise<Contact & { merged_contact_id: string; conversations_moved: number; identities_moved: number }> {
    return this.call(`/contacts/${encodeURIComponent(keepId)}/merge`, { method: 'POST', body: { from_contact_id: fromId }, headers: { 'Idempotency-Key': key } });
  }

  /** The contact's open carts (from the customer profile). */
  async openCarts(contactId: string): Promise<Array<{ id: string; conversation_id?: string | null }>> {
    const p = await this.call<{ open_carts?: Array<{ id: string; conversation_id?: string | null }> }>(
      `/contacts/${encodeURIComponent(contactId)}/profile`,
    );
    return p.open_carts ?? [];
  }

  private async collect<T>(path: string, maxPages: number): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < maxPages; page++) {
      const qs = new URLSearchParams({ limit: '200' });
      if (cursor) qs.set('cursor', cursor);
      const res: ListPage<T> = await this.call<ListPage<T>>(`${path}${path.includes('?') ? '&' : '?'}${qs.toString()}`);
      out.push(...(res.data ?? []));
      cursor = res.next_cursor ?? null;
      if (!cursor) break;
    }
    return out;
  }
}

/** A fresh Idempotency-Key per submitted form (forms disable their button while a request runs). */
export function newKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
