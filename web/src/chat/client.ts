// Web chat visitor API: config, visitor token (kept in localStorage per channel), history, send.

import { ApiError, requestJson } from '../shared/http';
import { wsOrigin } from '../shared/live-socket';
import type { ListPage, Message } from '../shared/types';

export interface ContinueOffer {
  channel: 'whatsapp' | 'messenger' | 'email';
  url: string;
}

export interface ChatConfig {
  name: string;
  greeting: string;
  /** Where the shop lets a visitor carry on the conversation (absent on older servers). */
  continue_on?: ContinueOffer[];
}

/** A tapped choice: `{"id","title"}` as the shop offered it (docs/api.md, web chat). */
export interface ChoiceReply {
  id: string;
  title: string;
}

export interface SendResult {
  message_id: string;
  conversation_id: string;
}

const memoryStore = new Map<string, string>();

function readToken(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return memoryStore.get(key) ?? null; // storage blocked (privacy mode, sandboxed iframe)
  }
}

function writeToken(key: string, value: string | null): void {
  try {
    if (value === null) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch {
    if (value === null) memoryStore.delete(key);
    else memoryStore.set(key, value);
  }
}

export class VisitorClient {
  private readonly base: string;
  private readonly storageKey: string;
  private creating: Promise<string> | null = null;

  constructor(
    readonly apiOrigin: string,
    readonly channelId: string,
  ) {
    this.base = `${apiOrigin}/api/v1/webchat/${encodeURIComponent(channelId)}`;
    this.storageKey = `bottega.visitor.${channelId}`;
  }

  get token(): string | null {
    return readToken(this.storageKey);
  }

  /** A file the shop sent to this visitor (GET .../media/{id}), as a Blob for an object URL. */
  async file(mediaId: string): Promise<Blob> {
    const res = await fetch(`${this.base}/media/${encodeURIComponent(mediaId)}`, {
      headers: { 'X-Visitor-Token': this.token ?? '' },
      credentials: 'omit',
    });
    if (!res.ok) throw new ApiError(res.status, `http_${res.status}`, res.statusText);
    return res.blob();
  }

  forgetVisitor(): void {
    writeToken(this.storageKey, null);
  }

  config(): Promise<ChatConfig> {
    return requestJson<ChatConfig>(`${this.base}/config`, { credentials: 'omit' });
  }

  /** The stored visitor token, creating the visitor on first use (once, even if called twice). */
  ensureVisitor(): Promise<string> {
    const existing = this.token;
    if (existing) return Promise.resolve(existing);
    if (!this.creating) {
      this.creating = requestJson<{ visitor_token: string }>(`${this.base}/visitors`, {
        method: 'POST',
        body: {},
        credentials: 'omit',
      })
        .then((res) => {
          writeToken(this.storageKey, res.visitor_token);
          return res.visitor_token;
        })
        .finally(() => {
          this.creating = null;
        });
    }
    return this.creating;
  }

  /** The visitor's own messages, oldest first. */
  async history(maxPages = 10): Promise<Message[]> {
    const token = this.token;
    if (!token) return [];
    const out: Message[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < maxPages; page++) {
      const qs = new URLSearchParams({ limit: '200' });
      if (cursor) qs.set('cursor', cursor);
      const res: ListPage<Message> = await requestJson<ListPage<Message>>(`${this.base}/messages?${qs.toString()}`, {
        headers: { 'X-Visitor-Token': token },
        credentials: 'omit',
      });
      out.push(...(res.data ?? []));
      cursor = res.next_cursor ?? null;
      if (!cursor) break;
    }
    return out;
  }

  /** Sends typed text, or (`reply`) a choice the shop offered, e.g. a card's "Add to cart". */
  async send(text: string, reply?: ChoiceReply): Promise<SendResult> {
    const hadToken = this.token !== null;
    const token = await this.ensureVisitor();
    const body = reply ? { reply } : { text };
    try {
      return await this.post(token, body);
    } catch (e) {
      // A stored token the server no longer knows: start a new visitor once.
      if (hadToken && e instanceof ApiError && (e.status === 401 || e.status === 403)) {
        this.forgetVisitor();
        return this.post(await this.ensureVisitor(), body);
      }
      throw e;
    }
  }

  socketUrl(cursor: number | null): string {
    const token = this.token ?? '';
    const qs = new URLSearchParams({ visitor_token: token });
    if (cursor !== null) qs.set('cursor', String(cursor));
    return `${wsOrigin(this.base)}/realtime?${qs.toString()}`;
  }

  private post(token: string, body: { text: string } | { reply: ChoiceReply }): Promise<SendResult> {
    return requestJson<SendResult>(`${this.base}/messages`, {
      method: 'POST',
      body,
      headers: { 'X-Visitor-Token': token },
      credentials: 'omit',
    });
  }
}
