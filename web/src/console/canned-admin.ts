// Settings > Canned responses (docs/api.md#canned-responses): the team's saved replies, inserted in
// the composer with "/shortcut". Any agent reads, adds, edits (PATCH) and deletes them.
// The body may use the variables the server knows; an unknown one is refused naming `body`.

import { ApiError } from '../shared/http';
import { el } from '../shared/dom';
import { lang, type Lang } from '../shared/strings';
import type { Agent } from '../shared/types';
import type { ConsoleApi } from './api';
import type { CannedResponse } from './canned';
import { apiErrorText as why, dataTable } from './admin-kit';

export const CANNED_VARIABLES = [
  '{{contact.name}}',
  '{{contact.first_name}}',
  '{{contact.email}}',
  '{{order.number}}',
  '{{agent.name}}',
  '{{agent.first_name}}',
  '{{shop.name}}',
  '{{conversation.id}}',
];

const textByLang = {
  en: {
    tab: 'Canned responses',
    hint: 'Type "/" in an empty composer to insert one; the variables are filled in for the conversation.',
    shortcut: 'Shortcut',
    title: 'Title',
    body: 'Text',
    empty: 'No canned responses yet.',
    edit: 'Edit',
    remove: 'Delete',
    confirmRemove: (s: string): string => `Delete the canned response /${s}?`,
    removed: (s: string): string => `/${s} deleted.`,
    newHeading: 'Add a canned response',
    editHeading: (s: string): string => `Edit /${s}`,
    shortcutHint: 'Lower-case letters, digits, dash and underscore (up to 32).',
    variables: 'Variables:',
    insert: (v: string): string => `Insert ${v}`,
    save: 'Save',
    cancel: 'Cancel editing',
    saved: (s: string): string => `/${s} saved.`,
    required: (what: string): string => `${what}: required.`,
  },
  it: {
    tab: 'Risposte predefinite',
    hint: 'Scrivi "/" in un campo di risposta vuoto per inserirne una; le variabili vengono compilate per la conversazione.',
    shortcut: 'Scorciatoia',
    title: 'Titolo',
    body: 'Testo',
    empty: 'Ancora nessuna risposta predefinita.',
    edit: 'Modifica',
    remove: 'Elimina',
    confirmRemove: (s: string): string => `Eliminare la risposta predefinita /${s}?`,
    removed: (s: string): string => `/${s} eliminata.`,
    newHeading: 'Aggiungi una risposta predefinita',
    editHeading: (s: string): string => `Modifica /${s}`,
    shortcutHint: 'Lettere minuscole, cifre, trattino e trattino basso (fino a 32).',
    variables: 'Variabili:',
    insert: (v: string): string => `Inserisci ${v}`,
    save: 'Salva',
    cancel: 'Annulla modifica',
    saved: (s: string): string => `/${s} salvata.`,
    required: (what: string): string => `${what}: obbligatorio.`,
  },
  de: {
    tab: 'Textbausteine',
    hint: 'Tippe "/" in ein leeres Antwortfeld, um einen einzufügen; die Variablen werden für die Unterhaltung ausgefüllt.',
    shortcut: 'Kürzel',
    title: 'Titel',
    body: 'Text',
    empty: 'Noch keine Textbausteine.',
    edit: 'Bearbeiten',
    remove: 'Löschen',
    confirmRemove: (s: string): string => `Den Textbaustein /${s} löschen?`,
    removed: (s: string): string => `/${s} gelöscht.`,
    newHeading: 'Textbaustein hinzufügen',
    editHeading: (s: string): string => `/${s} bearbeiten`,
    shortcutHint: 'Kleinbuchstaben, Ziffern, Bindestrich und Unterstrich (bis 32).',
    variables: 'Variablen:',
    insert: (v: string): string => `${v} einfügen`,
    save: 'Speichern',
    cancel: 'Bearbeiten abbrechen',
    saved: (s: string): string => `/${s} gespeichert.`,
    required: (what: string): string => `${what}: erforderlich.`,
  },
  nl: {
    tab: 'Standaardantwoorden',
    hint: 'Typ "/" in een leeg antwoordveld om er een in te voegen; de variabelen worden voor het gesprek ingevuld.',
    shortcut: 'Snelkoppeling',
    title: 'Titel',
    body: 'Tekst',
    empty: 'Nog geen standaardantwoorden.',
    edit: 'Bewerken',
    remove: 'Verwijderen',
    confirmRemove: (s: string): string => `Het standaardantwoord /${s} verwijderen?`,
    removed: (s: string): string => `/${s} verwijderd.`,
    newHeading: 'Standaardantwoord toevoegen',
    editHeading: (s: string): string => `/${s} bewerken`,
    shortcutHint: 'Kleine letters, cijfers, streepje en underscore (tot 32).',
    variables: 'Variabelen:',
    insert: (v: string): string => `${v} invoegen`,
    save: 'Opslaan',
    cancel: 'Bewerken annuleren',
    saved: (s: string): string => `/${s} opgeslagen.`,
    required: (what: string): string => `${what}: verplicht.`,
  },
} satisfies Record<Lang, unknown>;

const t = textByLang[lang];
export const cannedTabLabel = t.tab;

const SHORTCUT_RE = /^[a-z0-9_-]{1,32}$/;

export async function cannedTab(body: HTMLElement, api: ConsoleApi, agent: Agent): Promise<void> {
  const status = el('p', { className: 'hint', role: 'status', id: 'canned-status' });
  const error = el('p', { className: 'form-error', role: 'alert', id: 'canned-error' });
  // Any agent may manage the team's canned responses (the server allows it); `agent` is for symmetry.
  const admin = agent.role === 'admin' || agent.role === 'agent';
  const table = dataTable<CannedResponse>({ id: 'canned-table', caption: t.tab, headings: [t.shortcut, t.title, t.body, ''], empty: t.empty, row: (c) => row(c) });
  body.append(el('h2', {}, t.tab), el('p', { className: 'hint' }, t.hint), ...table.nodes, status, error);

  let editing: CannedResponse | null = null;
  const heading = el('h2', { id: 'canned-heading' }, t.newHeading);
  const shortcut = el('input', { id: 'canned-shortcut', maxlength: 32, autocomplete: 'off', 'aria-describedby': 'canned-shortcut-hint' });
  const title = el('input', { id: 'canned-title', maxlength: 200, autocomplete: 'off' });
  const text = el('textarea', { id: 'canned-body', rows: 4, maxlength: 4000 });
  const save = el('button', { type: 'submit', className: 'btn btn-primary' }, t.save);
  const cancel = el('button', { type: 'button', className: 'btn btn-quiet', hidden: true }, t.cancel);
  const chips = CANNED_VARIABLES.map((v) => {
    const b = el('button', { type: 'button', className: 'btn btn-quiet btn-small canned-var', 'aria-label': t.insert(v) }, v);
    b.addEventListener('click', () => {
      const at = text.selectionStart ?? text.value.length;
      const end = text.selectionEnd ?? at;
      text.value = text.value.slice(0, at) + v + text.value.slice(end);
      text.focus();
      text.setSelectionRange(at + v.length, at + v.length);
    });
    return b;
  });
  const form = el(
    'form',
    { className: 'settings-form', id: 'canned-form', 'aria-labelledby': 'canned-heading', novalidate: true },
    heading,
    el(
      'div',
      { className: 'field' },
      el('label', { for: 'canned-shortcut' }, t.shortcut),
      shortcut,
      el('span', { className: 'hint', id: 'canned-shortcut-hint' }, t.shortcutHint),
    ),
    el('div', { className: 'field' }, el('label', { for: 'canned-title' }, t.title), title),
    el('div', { className: 'field' }, el('label', { for: 'canned-body' }, t.body), text),
    el('div', { className: 'canned-vars', role: 'group', 'aria-label': t.variables }, el('span', { className: 'hint' }, t.variables), ...chips),
    el('div', { className: 'form-actions' }, save, cancel),
  );
  const fields: Record<string, HTMLElement> = { shortcut, title, body: text };
  const fill = (c: CannedResponse | null): void => {
    editing = c;
    heading.textContent = c ? t.editHeading(c.shortcut) : t.newHeading;
    shortcut.value = c?.shortcut ?? '';
    title.value = c?.title ?? '';
    text.value = c?.body ?? '';
    cancel.hidden = !c;
    error.textContent = '';
  };
  cancel.addEventListener('click', () => {
    fill(null);
    shortcut.focus();
  });

  const row = (c: CannedResponse): HTMLTableRowElement => {
    const actions = el('td', { className: 'row-actions' });
    if (admin) {
      const edit = el('button', { type: 'button', className: 'btn btn-secondary btn-small', 'aria-label': `${t.edit} /${c.shortcut}` }, t.edit);
      edit.addEventListener('click', () => {
        fill(c);
        text.focus();
      });
      const remove = el('button', { type: 'button', className: 'btn btn-quiet btn-small', 'aria-label': `${t.remove} /${c.shortcut}` }, t.remove);
      remove.addEventListener('click', () => {
        if (!window.confirm(t.confirmRemove(c.shortcut))) return;
        remove.disabled = true;
        api
          .deleteCanned(c.id)
          .then(() => {
            status.textContent = t.removed(c.shortcut);
            if (editing?.id === c.id) fill(null);
            return reload();
          })
          .catch((e: unknown) => {
            error.textContent = why(e);
            remove.disabled = false;
          });
      });
      actions.append(edit, ' ', remove);
    }
    return el(
      'tr',
      { 'data-canned-id': c.id, 'data-shortcut': c.shortcut },
      el('td', { className: 'mono' }, el('code', {}, `/${c.shortcut}`)),
      el('td', {}, c.title),
      el('td', { className: 'canned-body-cell' }, c.body),
      actions,
    );
  };
  const reload = (): Promise<void> => table.load(() => api.listCanned(), (e) => (error.textContent = why(e)));

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    error.textContent = '';
    status.textContent = '';
    const s = shortcut.value.trim();
    for (const [input, label] of [
      [shortcut, t.shortcut],
      [title, t.title],
      [text, t.body],
    ] as const) {
      if (!input.value.trim()) {
        error.textContent = t.required(label);
        input.focus();
        return;
      }
    }
    if (!SHORTCUT_RE.test(s)) {
      error.textContent = t.shortcutHint;
      shortcut.focus();
      return;
    }
    const fieldsNow = { shortcut: s, title: title.value.trim(), body: text.value };
    save.disabled = true;
    const done = editing ? api.updateCanned(editing.id, fieldsNow) : api.createCanned(fieldsNow);
    done
      .then(async (c) => {
        status.textContent = t.saved(c.shortcut);
        fill(null);
        await reload();
      })
      .catch((e: unknown) => {
        error.textContent = why(e);
        const key = e instanceof ApiError ? e.field : null;
        if (key && fields[key]) fields[key]?.focus();
      })
      .finally(() => (save.disabled = false));
  });

  await reload();
  if (admin) body.append(form);
}
