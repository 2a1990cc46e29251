// Settings > Teams (docs/service.md#teams-and-transfer): the shop's teams and their members. Admins
// create a team (name + members), edit it (PATCH: the fields given replace) and delete it (after a
// confirmation; its conversations leave the team). Agents see the list.

import { ApiError } from '../shared/http';
import { el } from '../shared/dom';
import { lang, type Lang } from '../shared/strings';
import type { Agent } from '../shared/types';
import type { ConsoleApi, Team } from './api';
import { apiErrorText as why, dataTable } from './admin-kit';

const textByLang = {
  en: {
    tab: 'Teams',
    hint: 'A conversation transferred to a team goes to one of its members who is online, or waits in the team’s queue.',
    name: 'Name',
    members: 'Members',
    empty: 'No teams yet.',
    noMembers: 'no members',
    newHeading: 'New team',
    editHeading: (n: string): string => `Edit team ${n}`,
    membersLegend: 'Members',
    noAgents: 'No agents yet.',
    save: 'Save team',
    cancel: 'Cancel editing',
    edit: 'Edit',
    remove: 'Delete',
    confirmRemove: (n: string): string => `Delete the team ${n}? Its conversations leave the team (their agent stays).`,
    removed: (n: string): string => `Team ${n} deleted.`,
    saved: (n: string): string => `Team ${n} saved.`,
    required: 'Name: required.',
  },
  it: {
    tab: 'Team',
    hint: 'Una conversazione trasferita a un team va a un suo membro online, oppure attende nella coda del team.',
    name: 'Nome',
    members: 'Membri',
    empty: 'Ancora nessun team.',
    noMembers: 'nessun membro',
    newHeading: 'Nuovo team',
    editHeading: (n: string): string => `Modifica il team ${n}`,
    membersLegend: 'Membri',
    noAgents: 'Ancora nessun operatore.',
    save: 'Salva il team',
    cancel: 'Annulla la modifica',
    edit: 'Modifica',
    remove: 'Elimina',
    confirmRemove: (n: string): string => `Eliminare il team ${n}? Le sue conversazioni escono dal team (l’operatore resta).`,
    removed: (n: string): string => `Team ${n} eliminato.`,
    saved: (n: string): string => `Team ${n} salvato.`,
    required: 'Nome: obbligatorio.',
  },
  de: {
    tab: 'Teams',
    hint: 'Eine an ein Team übergebene Unterhaltung geht an ein Mitglied, das online ist, oder wartet in der Warteschlange des Teams.',
    name: 'Name',
    members: 'Mitglieder',
    empty: 'Noch keine Teams.',
    noMembers: 'keine Mitglieder',
    newHeading: 'Neues Team',
    editHeading: (n: string): string => `Team ${n} bearbeiten`,
    membersLegend: 'Mitglieder',
    noAgents: 'Noch keine Mitarbeitenden.',
    save: 'Team speichern',
    cancel: 'Bearbeiten abbrechen',
    edit: 'Bearbeiten',
    remove: 'Löschen',
    confirmRemove: (n: string): string => `Das Team ${n} löschen? Seine Unterhaltungen verlassen das Team (die Zuständigen bleiben).`,
    removed: (n: string): string => `Team ${n} gelöscht.`,
    saved: (n: string): string => `Team ${n} gespeichert.`,
    required: 'Name: erforderlich.',
  },
  nl: {
    tab: 'Teams',
    hint: 'Een gesprek dat naar een team gaat, gaat naar een lid dat online is, of wacht in de wachtrij van het team.',
    name: 'Naam',
    members: 'Leden',
    empty: 'Nog geen teams.',
    noMembers: 'geen leden',
    newHeading: 'Nieuw team',
    editHeading: (n: string): string => `Team ${n} bewerken`,
    membersLegend: 'Leden',
    noAgents: 'Nog geen medewerkers.',
    save: 'Team opslaan',
    cancel: 'Bewerken annuleren',
    edit: 'Bewerken',
    remove: 'Verwijderen',
    confirmRemove: (n: string): string => `Het team ${n} verwijderen? De gesprekken verlaten het team (de medewerker blijft).`,
    removed: (n: string): string => `Team ${n} verwijderd.`,
    saved: (n: string): string => `Team ${n} opgeslagen.`,
    required: 'Naam: verplicht.',
  },
} satisfies Record<Lang, unknown>;

const t = textByLang[lang];
export const teamsTabLabel = t.tab;

export async function teamsTab(body: HTMLElement, api: ConsoleApi, me: Agent): Promise<void> {
  const admin = me.role === 'admin';
  const status = el('p', { className: 'hint', role: 'status', id: 'teams-status' });
  const error = el('p', { className: 'form-error', role: 'alert', id: 'teams-error' });
  let agents: Agent[] = [];
  try {
    agents = await api.listAgents();
  } catch (e) {
    error.textContent = why(e);
  }
  const nameOf = (id: string): string => {
    const a = agents.find((x) => x.id === id);
    return a ? a.name || a.email : id;
  };

  const table = dataTable<Team>({
    id: 'teams-table',
    caption: t.tab,
    headings: admin ? [t.name, t.members, ''] : [t.name, t.members],
    empty: t.empty,
    row: (team) => row(team),
  });
  body.append(el('h2', {}, t.tab), el('p', { className: 'hint' }, t.hint), ...table.nodes, status, error);
  const reload = (): Promise<void> => table.load(() => api.listTeams(), (e) => (error.textContent = why(e)));

  let editing: Team | null = null;
  const heading = el('h2', { id: 'team-form-heading' }, t.newHeading);
  const name = el('input', { id: 'team-name', maxlength: 80, autocomplete: 'off', required: true });
  const boxes = agents.map((a) => {
    const id = `team-member-${a.id}`;
    return { agent: a, box: el('input', { type: 'checkbox', id, value: a.id }), id };
  });
  const save = el('button', { type: 'submit', className: 'btn btn-primary' }, t.save);
  const cancel = el('button', { type: 'button', className: 'btn btn-quiet', hidden: true }, t.cancel);
  const form = el(
    'form',
    { className: 'settings-form', id: 'team-form', 'aria-labelledby': 'team-form-heading', novalidate: true },
    heading,
    el('div', { className: 'field' }, el('label', { for: 'team-name' }, t.name), name),
    el(
      'fieldset',
      { className: 'events team-members' },
      el('legend', {}, t.membersLegend),
      ...boxes.map(({ agent, box, id }) => el('label', { className: 'toggle', for: id }, box, el('span', {}, agent.name || agent.email))),
      boxes.length ? null : el('p', { className: 'hint' }, t.noAgents),
    ),
    el('div', { className: 'form-actions' }, save, cancel),
  );
  const fill = (team: Team | null): void => {
    editing = team;
    heading.textContent = team ? t.editHeading(team.name) : t.newHeading;
    name.value = team?.name ?? '';
    for (const b of boxes) b.box.checked = !!team?.agent_ids.includes(b.agent.id);
    cancel.hidden = !team;
    error.textContent = '';
  };
  cancel.addEventListener('click', () => {
    fill(null);
    name.focus();
  });

  const row = (team: Team): HTMLTableRowElement => {
    const members = team.agent_ids.map(nameOf).join(', ') || t.noMembers;
    const cells = [el('td', {}, team.name), el('td', { className: 'team-members-cell' }, members)];
    if (admin) {
      const edit = el('button', { type: 'button', className: 'btn btn-secondary btn-small', 'aria-label': `${t.edit} ${team.name}` }, t.edit);
      edit.addEventListener('click', () => {
        fill(team);
        name.focus();
      });
      const remove = el('button', { type: 'button', className: 'btn btn-quiet btn-small', 'aria-label': `${t.remove} ${team.name}` }, t.remove);
      remove.addEventListener('click', () => {
        if (!window.confirm(t.confirmRemove(team.name))) return;
        remove.disabled = true;
        error.textContent = '';
        api
          .deleteTeam(team.id)
          .then(() => {
            status.textContent = t.removed(team.name);
            if (editing?.id === team.id) fill(null);
            return reload();
          })
          .catch((e: unknown) => {
            error.textContent = why(e);
            remove.disabled = false;
          });
      });
      cells.push(el('td', { className: 'row-actions' }, edit, ' ', remove));
    }
    return el('tr', { 'data-team-id': team.id }, ...cells);
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    error.textContent = '';
    status.textContent = '';
    const teamName = name.value.trim();
    if (!teamName) {
      error.textContent = t.required;
      name.focus();
      return;
    }
    const fields = { name: teamName, agent_ids: boxes.filter((b) => b.box.checked).map((b) => b.agent.id) };
    save.disabled = true;
    const done = editing ? api.updateTeam(editing.id, fields) : api.createTeam(fields);
    done
      .then(async (team) => {
        status.textContent = t.saved(team.name);
        fill(null);
        await reload();
      })
      .catch((e: unknown) => {
        error.textContent = why(e);
        if (e instanceof ApiError && e.field === 'name') name.focus();
        else if (e instanceof ApiError && e.field?.startsWith('agent_ids')) boxes[0]?.box.focus();
      })
      .finally(() => (save.disabled = false));
  });

  await reload();
  if (admin) body.append(form);
}
