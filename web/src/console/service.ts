// Priority score and SLA state of a conversation as the inbox shows them (docs/service.md). Pure:
// `now` is a parameter, so the countdowns are testable.

import type { Conversation } from '../shared/types';

/** Points for waiting, as the server computes them: 2 a full minute, at most 240. */
export function waitingPoints(waitingSince: string | null | undefined, now: number): number {
  if (!waitingSince) return 0;
  const since = Date.parse(waitingSince);
  if (!Number.isFinite(since) || now <= since) return 0;
  return Math.min(240, Math.floor((now - since) / 60_000) * 2);
}

/** The score at `now`: the server's score with its waiting points brought up to date. */
export function liveScore(c: Conversation, now: number): number {
  const ps = c.priority_score;
  if (!ps) return c.priority ?? 0;
  const waitingThen = ps.components.find((x) => x.factor === 'waiting')?.points ?? 0;
  return ps.score - waitingThen + waitingPoints(ps.waiting_since, now);
}

export type SlaBadge =
  | { kind: 'none' }
  | { kind: 'breached'; target: string }
  | { kind: 'due'; target: string; seconds: number; soon: boolean };

/** What the SLA badge says at `now`: breached, due in N seconds (soon: under 15 minutes), or nothing. */
export function slaBadge(c: Conversation, now: number): SlaBadge {
  const sla = c.sla;
  if (!sla) return { kind: 'none' };
  let next: { target: string; at: number } | null = null;
  for (const target of ['first_response', 'next_response', 'resolution'] as const) {
    const x = sla[target];
    if (!x) continue;
    const at = Date.parse(x.due_at);
    if (x.breached || at <= now) return { kind: 'breached', target };
    if (!next || at < next.at) next = { target, at };
  }
  if (!next) return { kind: 'none' };
  const seconds = Math.max(0, Math.floor((next.at - now) / 1000));
  return { kind: 'due', target: next.target, seconds, soon: seconds < 15 * 60 };
}

/** "45s", "12m", "3h 05m", "2d 4h". */
export function shortDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
