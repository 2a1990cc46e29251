// "Transfer…" on a conversation (docs/service.md#teams-and-transfer): to a team (one of its online
// members takes it, or it waits in the team's queue), to an agent, or out of its team, with an
// internal note saying why. The server writes the note into the thread and emits the events.

import { ApiError } from '../shared/http';
import { clear, el } from '../shared/dom';
import { lang, type Lang } from '../shared/strings';
import type { Agent, Conversation } from '../shared/types';
import type { ConsoleApi, Team, TransferRequest } from './api';
import { apiErrorText } from './admin-kit';

const textByLang = {
  en: {
    filterLabel: 'Team',
    allTeams: 'All teams',
    teamChip: (n: string): string => `Team ${n}`,
    open: 'Transfer…',
    heading: 'Transfer this conversation',
    team: 'To team',
    keepTeam: (n: string | null): string => (n ? `Keep team ${n}` : 'No change (no team)'),
    noTeam: 'Out of its team',
    agent: 'To agent',
    anyMember: 'Whoever is free (or the queue)',
    keepAgent: 'No change',
    note: 'Internal note (why)',
    notePlaceholder: 'Only your colleagues see this.',
    submit: 'Transfer',
    cancel: 'Cancel',
    pick: 'Choose a team or an agent.',
  },
  it: {
    filterLabel: 'Team',
    allTeams: 'Tutti i team',
    teamChip: (n: string): string => `Team ${n}`,
    open: 'Trasferisci…',
    heading: 'Trasferisci questa conversazione',
    team: 'Al team',
    keepTeam: (n: string | null): string => (n ? `Resta nel team ${n}` : 'Nessuna modifica (nessun team)'),
    noTeam: 'Fuori dal suo team',
    agent: 'All’operatore',
    anyMember: 'Chi è libero (o la coda)',
    keepAgent: 'Nessuna modifica',
    note: 'Nota interna (perché)',
    notePlaceholder: 'La vedono solo i colleghi.',
    submit: 'Trasferisci',
    cancel: 'Annulla',
    pick: 'Scegli un team o un operatore.',
  },
  de: {
    filterLabel: 'Team',
    allTeams: 'Alle Teams',
    teamChip: (n: string): string => `Team ${n}`,
    open: 'Übergeben…',
    heading: 'Diese Unterhaltung übergeben',
    team: 'An Team',
    keepTeam: (n: string | null): string => (n ? `Im Team ${n} lassen` : 'Keine Änderung (kein Team)'),
    noTeam: 'Aus dem Team nehmen',
    agent: 'An Mitarbeitende',
    anyMember: 'Wer frei ist (oder die Warteschlange)',
    keepAgent: 'Keine Änderung',
    note: 'Interne Notiz (warum)',
    notePlaceholder: 'Nur Ihre Kolleg:innen sehen das.',
    submit: 'Übergeben',
    cancel: 'Abbrechen',
    pick: 'Wählen Sie ein Team oder eine Person.',
  },
  nl: {
    filterLabel: 'Team',
    allTeams: 'Alle teams',
    teamChip: (n: string): string => `Team ${n}`,
    open: 'Overdragen…',
    heading: 'Dit gesprek overdragen',
    team: 'Naar team',
    keepTeam: (n: string | null): string => (n ? `In team ${n} laten` : 'Geen wijziging (geen team)'),
    noTeam: 'Uit het team halen',
    agent: 'Naar medewerker',
    anyMember: 'Wie vrij is (of de wachtrij)',
    keepAgent: 'Geen wijziging',
    note: 'Interne notitie (waarom)',
    notePlaceholder: 'Alleen je collega’s zien dit.',
    submit: 'Overdragen',
    cancel: 'Annuleren',
    pick: 'Kies een team of een medewerker.',
  },
} satisfies Record<Lang, unknown>;

const t = textByLang[lang];
/** The inbox's team filter and the team chip. */
export const teamText = { filterLabel: t.filterLabel, allTeams: t.allTeams, chip: t.teamChip };
const NO_TEAM = '__none';

export interface TransferControl {
  /** "Transfer…": shows the form. */
  button: HTMLButtonElement;
  /** The form (hidden until the button is pressed). */
  form: HTMLFormElement;
}

export function transferControl(opts: {
  api: ConsoleApi;
  conversationId: string;
  conversation: () => Conversation | undefined;
  agents: () => Agent[];
  /** The server's answer: the conversation as it is now (with its team). */
  onDone: (c: Conversation) => void;
}): TransferControl {
  const { api, conversationId } = opts;
  const button = el('button', { type: 'button', className: 'btn btn-secondary', id: 'transfer-button', 'aria-expanded': 'false', 'aria-controls': 'transfer-form' }, t.open);
  const team = el('select', { id: 'transfer-team' });
  const agent = el('select', { id: 'transfer-agent' });
  const note = el('textarea', { id: 'transfer-note', rows: 2, maxlength: 2000, placeholder: t.notePlaceholder });
  const error = el('p', { className: 'form-error', role: 'alert', id: 'transfer-error' });
  const submit = el('button', { type: 'submit', className: 'btn btn-primary' }, t.submit);
  const cancel = el('button', { type: 'button', className: 'btn btn-quiet' }, t.cancel);
  const form = el(
    'form',
    { className: 'transfer-form', id: 'transfer-form', 'aria-labelledby': 'transfer-heading', hidden: true, novalidate: true },
    el('h3', { id: 'transfer-heading' }, t.heading),
    el('div', { className: 'field' }, el('label', { for: 'transfer-team' }, t.team), team),
    el('div', { className: 'field' }, el('label', { for: 'transfer-agent' }, t.agent), agent),
    el('div', { className: 'field' }, el('label', { for: 'transfer-note' }, t.note), note),
    error,
    el('div', { className: 'form-actions' }, submit, cancel),
  );
  let teams: Team[] = [];

  /** The agents who may take it: the members of the team it goes to (any agent without a team). */
  const fillAgents = (): void => {
    const current = opts.conversation();
    const chosen = team.value === '' ? (current?.team?.id ?? null) : team.value === NO_TEAM ? null : team.value;
    const members = chosen ? new Set(teams.find((x) => x.id === chosen)?.agent_ids ?? []) : null;
    const keep = agent.value;
    clear(agent);
    agent.append(el('option', { value: '' }, team.value && team.value !== NO_TEAM ? t.anyMember : t.keepAgent));
    for (const a of opts.agents()) if (!members || members.has(a.id)) agent.append(el('option', { value: a.id }, a.name || a.email));
    if ([...agent.options].some((o) => o.value === keep)) agent.value = keep;
  };
  team.addEventListener('change', fillAgents);

  const close = (): void => {
    form.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    button.focus();
  };
  cancel.addEventListener('click', close);
  form.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      ev.stopPropagation();
      close();
    }
  });

  button.addEventListener('click', () => {
    if (!form.hidden) {
      close();
      return;
    }
    error.textContent = '';
    note.value = '';
    form.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    const current = opts.conversation();
    clear(team);
    team.append(el('option', { value: '' }, t.keepTeam(current?.team?.name ?? null)));
    fillAgents();
    team.focus();
    void api
      .listTeams()
      .then((list) => {
        teams = list;
        const keep = team.value;
        clear(team);
        team.append(el('option', { value: '' }, t.keepTeam(opts.conversation()?.team?.name ?? null)));
        for (const x of list) team.append(el('option', { value: x.id }, x.name));
        if (opts.conversation()?.team) team.append(el('option', { value: NO_TEAM }, t.noTeam));
        if ([...team.options].some((o) => o.value === keep)) team.value = keep;
        fillAgents();
      })
      .catch((e: unknown) => (error.textContent = apiErrorText(e)));
  });

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const req: TransferRequest = {};
    if (team.value === NO_TEAM) req.team_id = null;
    else if (team.value) req.team_id = team.value;
    if (agent.value) req.agent_id = agent.value;
    if (!('team_id' in req) && !('agent_id' in req)) {
      error.textContent = t.pick;
      team.focus();
      return;
    }
    if (note.value.trim()) req.note = note.value.trim();
    submit.disabled = true;
    api
      .transfer(conversationId, req)
      .then((c) => {
        opts.onDone(c);
        close();
      })
      .catch((e: unknown) => {
        error.textContent = apiErrorText(e);
        if (e instanceof ApiError && e.field === 'agent_id') agent.focus();
        else if (e instanceof ApiError && e.field === 'team_id') team.focus();
      })
      .finally(() => (submit.disabled = false));
  });

  return { button, form };
}
