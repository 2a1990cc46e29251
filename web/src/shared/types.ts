// Shapes from docs/api.md (v1).

export type ConversationStatus = 'open' | 'pending' | 'snoozed' | 'resolved';
export type DeliveryState = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';

export interface Agent {
  id: string;
  tenant_id: string;
  email: string;
  name: string;
  role: 'admin' | 'agent';
}

export interface SessionInfo {
  agent: Agent;
  csrf_token: string;
}

export interface LastMessage {
  text: string;
  direction: 'in' | 'out';
  author_kind: string;
  created_at: string;
}

export interface Conversation {
  id: string;
  channel_id: string;
  channel_type: string;
  contact: { id: string; name: string | null };
  status: ConversationStatus;
  priority: number;
  assignee_id: string | null;
  tags: string[];
  /** An email conversation's subject; null on other channels. */
  subject?: string | null;
  last_message: LastMessage | null;
  first_response_at: string | null;
  created_at: string;
  updated_at: string;
  /** The inbox order, explained (docs/service.md); absent on realtime event payloads. */
  priority_score?: PriorityScore;
  /** SLA due times and breaches (docs/service.md); absent on realtime event payloads. */
  sla?: Sla;
  /** The satisfaction survey sent when it was resolved, and the customer's score. */
  csat?: { sent_at: string; score: number | null; answered_at: string | null; comment?: string | null; commented_at?: string | null } | null;
  /** When a snoozed conversation comes back by itself (docs/service.md#snooze); absent on realtime event payloads. */
  snoozed_until?: string | null;
  /** The team it belongs to (docs/service.md#teams-and-transfer); absent on realtime event payloads. */
  team?: { id: string; name: string } | null;
  /** The channel's messaging window; only on GET /api/v1/conversations/{id} (docs/channels.md). */
  window?: ConversationWindow;
}

export interface MessageTemplate {
  name: string;
  language: string;
  parameters: number;
  /** WeChat template messages: the data key each parameter fills ("first", "keyword1", ...). */
  keys?: string[];
}

export interface ConversationWindow {
  policy: 'none' | 'whatsapp' | 'meta' | 'wechat';
  open: boolean;
  last_inbound_at: string | null;
  closes_at: string | null;
  human_agent_open: boolean;
  human_agent_until: string | null;
  templates: MessageTemplate[];
}

export interface PriorityScore {
  score: number;
  level: 'urgent' | 'high' | 'normal' | 'low';
  intent: 'presale' | 'postsale' | 'none';
  components: { factor: string; points: number; detail: string }[];
  waiting_since: string | null;
  pending?: boolean;
}

export interface SlaTarget {
  due_at: string;
  breached: boolean;
  seconds_left: number;
}

export interface Sla {
  level: string | null;
  breached: boolean;
  next_due_at: string | null;
  next_target: 'first_response' | 'next_response' | 'resolution' | null;
  first_response: SlaTarget | null;
  next_response: SlaTarget | null;
  resolution: SlaTarget | null;
  breaches: { target: string; due_at: string; breached_at: string; priority: string }[];
}

export interface Message {
  id: string;
  conversation_id: string;
  direction: 'in' | 'out';
  author: { kind: 'contact' | 'bot' | 'agent' | 'system'; id: string | null };
  kind:
    | 'text'
    | 'attachment'
    | 'choices'
    | 'note'
    | 'interactive_reply'
    | 'media'
    | 'location'
    | 'contacts'
    | 'reaction'
    | 'order'
    | 'unsupported'
    | (string & {});
  text: string;
  content?: Record<string, unknown>;
  delivery?: { state: DeliveryState; error: string | null };
  created_at: string;
}

export interface ListPage<T> {
  data: T[];
  next_cursor: string | null;
}

export interface RealtimeEvent {
  seq?: number;
  type: string;
  cursor?: number;
  data?: unknown;
}
