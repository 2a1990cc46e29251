// Settings > Macros > Macro runs (GET /api/v1/macro_runs, docs/service.md#macros): the audit of who
// ran which macro on which conversation, when, and what it did, newest first, optionally for one
// macro. A run's conversation opens at the run's audit note. Nothing the server returns is
// inserted as HTML.

import { clear, el } from '../shared/dom';
import { lang, type Lang } from '../shared/strings';
import { fullTime } from '../shared/time';
import type { Agent } from '../shared/types';
import type { ConsoleApi } from './api';
import { apiErrorText as why, dataTable } from './admin-kit';
import { stepLine, type MacroStep } from './macros';

/** One row of GET /api/v1/macro_runs. */
export interface MacroRunRow {
  id: string;
  macro_id: string;
  macro_name: string;
  conversation_id: string;
  ran_by: string; // "agent:<id>" or "token:<id>"
  steps: MacroStep[];
  note_message_id: string | null;
  ran_at: string;
}

/** Asks the console to open a conversation at a message (main.ts listens). */
export const OPEN_MESSAGE_EVENT = 'bottega:open-message';
export interface OpenMessageDetail {
  conversation_id: string;
  message_id: string | null;
}

const textByLang = {
  en: {
    heading: 'Macro runs',
    hint: 'Who ran which macro on which conversation, when, and what it did; newest first.',
    back: 'Back to the macros',
    filter: 'Macro',
    all: 'All macros',
    when: 'When',
    macro: 'Macro',
    conversation: 'Conversation',
    ranBy: 'Ran by',
    result: 'What it did',
    empty: 'No macro has been run yet.',
    open: 'Open the conversation',
    token: (id: string): string => `API token ${id}`,
    nothing: 'Nothing',
    more: 'Show more',
  },
  it: {
    heading: 'Esecuzioni delle macro',
    hint: 'Chi ha eseguito quale macro su quale conversazione, quando e cosa ha fatto; le più recenti per prime.',
    back: 'Torna alle macro',
    filter: 'Macro',
    all: 'Tutte le macro',
    when: 'Quando',
    macro: 'Macro',
    conversation: 'Conversazione',
    ranBy: 'Eseguita da',
    result: 'Cosa ha fatto',
    empty: 'Nessuna macro è stata ancora eseguita.',
    open: 'Apri la conversazione',
    token: (id: string): string => `Token API ${id}`,
    nothing: 'Niente',
    more: 'Mostra altre',
  },
  de: {
    heading: 'Makro-Ausführungen',
    hint: 'Wer welches Makro in welcher Unterhaltung wann ausgeführt hat und was es getan hat; die neuesten zuerst.',
    back: 'Zurück zu den Makros',
    filter: 'Makro',
    all: 'Alle Makros',
    when: 'Wann',
    macro: 'Makro',
    conversation: 'Unterhaltung',
    ranBy: 'Ausgeführt von',
    result: 'Was es getan hat',
    empty: 'Noch wurde kein Makro ausgeführt.',
    open: 'Unterhaltung öffnen',
    token: (id: string): string => `API-Token ${id}`,
    nothing: 'Nichts',
    more: 'Mehr anzeigen',
  },
  nl: {
    heading: 'Uitgevoerde macro’s',
    hint: 'Wie welke macro in welk gesprek uitvoerde, wanneer, en wat hij deed; de nieuwste eerst.',
    back: 'Terug naar de macro’s',
    filter: 'Macro',
    all: 'Alle macro’s',
    when: 'Wanneer',
    macro: 'Macro',
    conversation: 'Gesprek',
    ranBy: 'Uitgevoerd door',
    result: 'Wat hij deed',
    empty: 'Er is nog geen macro uitgevoerd.',
    open: 'Gesprek openen',
    token: (id: string): string => `API-token ${id}`,
    nothing: 'Niets',
    more: 'Meer tonen',
  },
} satisfies Record<Lang, unknown>;

const t = textByLang[lang];
const PAGE = 50;
const MAX = 200; // the API's largest page

/** "agent:agt_1" -> the agent's name (or id); "token:tok_1" -> "API token tok_1". */
export function ranByText(ranBy: string, agents: Agent[]): string {
  if (ranBy.startsWith('agent:')) {
    const id = ranBy.slice(6);
    return agents.find((a) => a.id === id)?.name ?? id;
  }
  if (ranBy.startsWith('token:')) return t.token(ranBy.slice(6));
  return ranBy;
}

export async function macroRunsTab(body: HTMLElement, api: ConsoleApi): Promise<void> {
  const error = el('p', { className: 'form-error', role: 'alert', id: 'macro-runs-error' });
  const select = el('select', { id: 'macro-runs-filter' }, el('option', { value: '' }, t.all));
  let agents: Agent[] = [];
  let limit = PAGE;
  const more = el('button', { type: 'button', className: 'btn btn-quiet', id: 'macro-runs-more', hidden: true }, t.more);
  const table = dataTable<MacroRunRow>({
    id: 'macro-runs-table',
    caption: t.heading,
    headings: [t.when, t.macro, t.conversation, t.ranBy, t.result],
    empty: t.empty,
    row: (r) => {
      const open = el('a', { href: '#/inbox', className: 'macro-run-open', 'aria-label': `${t.open} ${r.conversation_id}` }, r.conversation_id);
      open.addEventListener('click', (ev) => {
        ev.preventDefault();
        const detail: OpenMessageDetail = { conversation_id: r.conversation_id, message_id: r.note_message_id };
        window.dispatchEvent(new CustomEvent(OPEN_MESSAGE_EVENT, { detail }));
      });
      const steps = Array.isArray(r.steps) ? r.steps : [];
      return el(
        'tr',
        { 'data-run-id': r.id },
        el('td', {}, el('time', { dateTime: r.ran_at }, fullTime(r.ran_at))),
        el('td', {}, r.macro_name),
        el('td', {}, open),
        el('td', { className: 'macro-run-by' }, ranByText(r.ran_by, agents)),
        el('td', {}, steps.length ? el('ul', { className: 'macro-steps' }, ...steps.map(stepLine)) : t.nothing),
      );
    },
  });
  const reload = (): Promise<void> =>
    table.load(async () => {
      error.textContent = '';
      const rows = await api.listMacroRuns({ macro_id: select.value || undefined, limit });
      more.hidden = rows.length < limit || limit >= MAX;
      return rows;
    }, (e) => (error.textContent = why(e)));
  select.addEventListener('change', () => {
    limit = PAGE;
    void reload();
  });
  more.addEventListener('click', () => {
    limit = Math.min(MAX, limit + PAGE);
    void reload();
  });
  clear(body);
  body.append(
    el('h2', { id: 'macro-runs-heading' }, t.heading),
    el('p', { className: 'hint' }, t.hint),
    el('p', {}, el('a', { href: '#/settings/macros', id: 'macro-runs-back' }, t.back)),
    el('div', { className: 'field' }, el('label', { for: 'macro-runs-filter' }, t.filter), select),
    ...table.nodes,
    more,
    error,
  );
  const [macros, team] = await Promise.all([api.listMacros().catch(() => []), api.listAgents().catch(() => [])]);
  agents = team;
  for (const m of macros) select.append(el('option', { value: m.id }, m.name));
  await reload();
}
