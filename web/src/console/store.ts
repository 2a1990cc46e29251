// Client-side state of the inbox. Merges REST snapshots and realtime events in any order:
// conversations keep the newest `updated_at`, messages are deduplicated by id.

import { compareIso } from '../shared/time';
import type { Conversation, ConversationStatus, Message } from '../shared/types';
import { liveScore } from './service';

export type StatusFilter = 'all' | ConversationStatus;

/** The inbox filters; '' means "any". */
export interface Filters {
  status: StatusFilter;
  channelType: string;
  tag: string;
  /** 'me', 'none' or '' (anyone). */
  assignee: '' | 'me' | 'none';
  /** A team's id, or '' (any team or none). */
  team: string;
  unreadOnly: boolean;
  /** 'score': the priority score (docs/service.md), then activity; 'recent': newest activity first. */
  sort: 'score' | 'recent';
}

export const NO_FILTERS: Filters = { status: 'all', channelType: '', tag: '', assignee: '', team: '', unreadOnly: false, sort: 'score' };

export class InboxStore {
  readonly conversations = new Map<string, Conversation>();
  /** Messages of the conversations whose thread has been loaded. */
  readonly threads = new Map<string, Message[]>();
  readonly unread = new Set<string>();

  /** Returns true when the stored conversation changed. */
  upsertConversation(c: Conversation): boolean {
    const old = this.conversations.get(c.id);
    if (old && compareIso(c.updated_at, old.updated_at) < 0) return false;
    // Keep a newer last_message that an event already gave us.
    if (old?.last_message && (!c.last_message || compareIso(old.last_message.created_at, c.last_message.created_at) > 0)) {
      c = { ...c, last_message: old.last_message };
    }
    // Realtime payloads carry no score or SLA: keep the last ones until the next REST snapshot.
    if (old && !c.priority_score && old.priority_score) c = { ...c, priority_score: old.priority_score };
    if (old && !c.sla && old.sla) c = { ...c, sla: old.sla };
    if (old && c.team === undefined && old.team !== undefined) c = { ...c, team: old.team };
    this.conversations.set(c.id, c);
    return true;
  }

  replaceAll(list: Conversation[]): void {
    const incoming = new Set(list.map((c) => c.id));
    for (const id of [...this.conversations.keys()]) if (!incoming.has(id)) this.conversations.delete(id);
    for (const c of list) this.upsertConversation(c);
  }

  setThread(conversationId: string, messages: Message[]): Message[] {
    const existing = this.threads.get(conversationId) ?? [];
    const byId = new Map<string, Message>();
    for (const m of messages) byId.set(m.id, m);
    for (const m of existing) {
      const loaded = byId.get(m.id);
      if (!loaded) byId.set(m.id, m); // events seen during the load
      // Delivery only moves forward: a list fetched before the realtime "sent" must not undo it.
      else if (deliveryRank(m) > deliveryRank(loaded)) byId.set(m.id, { ...loaded, delivery: m.delivery });
    }
    const merged = sortMessages([...byId.values()]);
    this.threads.set(conversationId, merged);
    return merged;
  }

  /**
   * Applies a new or updated message. Returns 'added', 'updated' or 'none' for the open thread's
   * benefit, and keeps the conversation's last_message current.
   */
  applyMessage(m: Message): 'added' | 'updated' | 'none' {
    const conv = this.conversations.get(m.conversation_id);
    if (conv && m.kind !== 'note' && (!conv.last_message || compareIso(m.created_at, conv.last_message.created_at) >= 0)) {
      this.conversations.set(conv.id, {
        ...conv,
        last_message: { text: m.text, direction: m.direction, author_kind: m.author.kind, created_at: m.created_at },
      });
    }
    const thread = this.threads.get(m.conversation_id);
    if (!thread) return 'none';
    const i = thread.findIndex((x) => x.id === m.id);
    if (i >= 0) {
      const old = thread[i];
      // Delivery only moves forward (docs/api.md): a copy that arrives late (the POST's answer after
      // the realtime "sent") must not turn a sent message back into a pending one.
      thread[i] = old && deliveryRank(old) > deliveryRank(m) ? { ...m, delivery: old.delivery } : m;
      return 'updated';
    }
    thread.push(m);
    this.threads.set(m.conversation_id, sortMessages(thread));
    return 'added';
  }

  /** The conversations matching `f`, highest priority score first (or newest), then most recent activity. */
  sorted(f: Filters, meId: string | null = null, now: number = Date.now()): Conversation[] {
    const list = [...this.conversations.values()].filter((c) => {
      if (f.status !== 'all' && c.status !== f.status) return false;
      if (f.channelType && c.channel_type !== f.channelType) return false;
      if (f.tag && !(c.tags ?? []).includes(f.tag)) return false;
      if (f.assignee === 'me' && (!meId || c.assignee_id !== meId)) return false;
      if (f.assignee === 'none' && c.assignee_id) return false;
      if (f.team && c.team?.id !== f.team) return false;
      if (f.unreadOnly && !this.unread.has(c.id)) return false;
      return true;
    });
    const score = new Map(list.map((c) => [c.id, f.sort === 'recent' ? 0 : liveScore(c, now)]));
    return list.sort((a, b) => {
      const d = (score.get(b.id) ?? 0) - (score.get(a.id) ?? 0);
      if (d !== 0) return d;
      return compareIso(activity(b), activity(a));
    });
  }
}

export function activity(c: Conversation): string {
  const last = c.last_message?.created_at;
  return last && compareIso(last, c.updated_at) > 0 ? last : c.updated_at;
}

/** Every channel type and tag present in the inbox, sorted, for the filter menus. */
export function facets(conversations: Iterable<Conversation>): { channelTypes: string[]; tags: string[] } {
  const types = new Set<string>();
  const tags = new Set<string>();
  for (const c of conversations) {
    if (c.channel_type) types.add(c.channel_type);
    for (const tag of c.tags ?? []) tags.add(tag);
  }
  return { channelTypes: [...types].sort(), tags: [...tags].sort() };
}

function sortMessages(list: Message[]): Message[] {
  return list.sort((a, b) => compareIso(a.created_at, b.created_at));
}

const DELIVERY_RANK: Record<string, number> = { pending: 0, sent: 1, delivered: 2, read: 3, failed: 3 };

function deliveryRank(m: Message): number {
  return m.delivery ? (DELIVERY_RANK[m.delivery.state] ?? 0) : -1;
}
