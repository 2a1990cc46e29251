// A WebSocket that reconnects with exponential backoff and resumes from the largest `seq` seen
// (`?cursor=<seq>`), so the server replays whatever happened while it was away.

import type { RealtimeEvent } from './types';

export type LiveState = 'connecting' | 'live' | 'offline';

export interface LiveSocketOptions {
  /** Builds the URL; `cursor` is null until a seq or a ready cursor has been seen. */
  url: (cursor: number | null) => string;
  onEvent: (event: RealtimeEvent) => void;
  onState?: (state: LiveState) => void;
  /** Called on every successful open; `resumed` is true when a cursor was sent. */
  onOpen?: (resumed: boolean) => void;
  /** Called when the server says `{"type":"ready"}` (replay finished). */
  onReady?: () => void;
  minDelayMs?: number;
  maxDelayMs?: number;
}

export class LiveSocket {
  private ws: WebSocket | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stableTimer: ReturnType<typeof setTimeout> | null = null;
  private attempts = 0;
  private stopped = true;
  private cursorValue: number | null = null;
  private readonly onOnline = (): void => {
    if (!this.stopped && this.ws === null) this.connectNow();
  };

  constructor(private readonly opts: LiveSocketOptions) {}

  get cursor(): number | null {
    return this.cursorValue;
  }

  /** Records a seq known from elsewhere (for example a page of history). */
  noteSeq(seq: number): void {
    if (this.cursorValue === null || seq > this.cursorValue) this.cursorValue = seq;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    this.connectNow();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.close(1000);
    }
  }

  private clearTimers(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.stableTimer !== null) clearTimeout(this.stableTimer);
    this.timer = null;
    this.stableTimer = null;
  }

  private connectNow(): void {
    this.clearTimers();
    this.opts.onState?.('connecting');
    const resumed = this.cursorValue !== null;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.opts.url(this.cursorValue));
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = (): void => {
      this.opts.onState?.('live');
      this.opts.onOpen?.(resumed);
      // A connection that stays up for a while resets the backoff.
      this.stableTimer = setTimeout(() => {
        this.attempts = 0;
      }, 10_000);
    };
    ws.onmessage = (msg: MessageEvent): void => {
      if (typeof msg.data !== 'string') return;
      let event: RealtimeEvent;
      try {
        event = JSON.parse(msg.data) as RealtimeEvent;
      } catch {
        return;
      }
      if (!event || typeof event.type !== 'string') return;
      if (event.type === 'ready') {
        if (typeof event.cursor === 'number') this.noteSeq(event.cursor);
        this.attempts = 0;
        this.opts.onReady?.();
        return;
      }
      if (typeof event.seq === 'number') {
        if (this.cursorValue !== null && event.seq <= this.cursorValue) return; // already seen
        this.cursorValue = event.seq;
      }
      this.opts.onEvent(event);
    };
    ws.onerror = (): void => {
      // onclose follows and schedules the reconnect.
    };
    ws.onclose = (): void => {
      if (this.ws === ws) this.ws = null;
      if (this.stopped) return;
      this.opts.onState?.('offline');
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    this.clearTimers();
    const min = this.opts.minDelayMs ?? 500;
    const max = this.opts.maxDelayMs ?? 30_000;
    const base = Math.min(max, min * 2 ** this.attempts);
    const delay = base / 2 + Math.random() * (base / 2); // jitter
    this.attempts = Math.min(this.attempts + 1, 16);
    this.timer = setTimeout(() => this.connectNow(), delay);
  }
}

/** ws:// or wss:// origin for an http(s) origin. */
export function wsOrigin(httpOrigin: string): string {
  return httpOrigin.replace(/^http/, 'ws');
}
