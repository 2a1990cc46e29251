// Settings > Knowledge base: the bot's entries (docs/bot.md). A table of entries; an editor for one
// (id, language, phrasings of the question one per line, answer, tags, product ids) saved as an
// upsert through POST /api/v1/kb/import; delete (DELETE /api/v1/kb/entries/{id}, after a
// confirmation); and "Try a question": what the bot would answer (POST /api/v1/kb/search). A
// refused entry names its field, which gets the focus. Everything is text.

import { ApiError } from '../shared/http';
import { clear, el } from '../shared/dom';
import { lang, type Lang } from '../shared/strings';
import type { Agent } from '../shared/types';
import type { ConsoleApi, KbEntry } from './api';
import { apiErrorText as why, dataTable } from './admin-kit';

const textByLang = {
  en: {
    tab: 'Knowledge base',
    hint: 'The bot answers first messages from these entries, in the customer\'s language, and hands over to a person when it is not sure.',
    id: 'Id',
    language: 'Language',
    question: 'Question',
    tags: 'Tags',
    empty: 'No entries yet: the bot stays quiet until there is one.',
    edit: 'Edit',
    remove: 'Delete',
    confirmRemove: (id: string): string => `Delete the entry ${id}? The bot stops using it at once.`,
    removed: (id: string): string => `Entry ${id} deleted.`,
    editorNew: 'New entry',
    editorEdit: (id: string): string => `Edit ${id}`,
    idHint: 'Letters, digits, dot, dash and underscore; saving an existing id replaces that entry.',
    questions: 'Questions (one phrasing per line)',
    answer: 'Answer',
    tagsField: 'Tags (comma separated; presale, product or sizing mark a pre-sale answer)',
    products: 'Product ids (comma separated, optional)',
    save: 'Save entry',
    clearForm: 'New entry',
    saved: (id: string): string => `Entry ${id} saved.`,
    required: (what: string): string => `${what}: required.`,
    tryHeading: 'Try a question',
    tryLabel: 'A customer writes',
    tryButton: 'Ask the bot',
    outcome: { answered: 'answers', asked: 'asks which one is meant', handed_over: 'hands over to a person' } as Record<string, string>,
    tryResult: (outcome: string, entry: string | null, confidence: number, language: string): string =>
      `The bot ${outcome}${entry ? ` with ${entry}` : ''} (confidence ${Math.round(confidence * 100)} %, language ${language}).`,
    reply: 'Reply:',
  },
  it: {
    tab: 'Base di conoscenza',
    hint: 'Il bot risponde ai primi messaggi con queste voci, nella lingua del cliente, e passa a una persona quando non è sicuro.',
    id: 'Id',
    language: 'Lingua',
    question: 'Domanda',
    tags: 'Tag',
    empty: 'Ancora nessuna voce: il bot tace finché non ce n\'è una.',
    edit: 'Modifica',
    remove: 'Elimina',
    confirmRemove: (id: string): string => `Eliminare la voce ${id}? Il bot smette subito di usarla.`,
    removed: (id: string): string => `Voce ${id} eliminata.`,
    editorNew: 'Nuova voce',
    editorEdit: (id: string): string => `Modifica ${id}`,
    idHint: 'Lettere, cifre, punto, trattino e trattino basso; salvare un id esistente sostituisce quella voce.',
    questions: 'Domande (una formulazione per riga)',
    answer: 'Risposta',
    tagsField: 'Tag (separati da virgole; presale, product o sizing indicano una risposta pre-vendita)',
    products: 'Id prodotto (separati da virgole, facoltativi)',
    save: 'Salva voce',
    clearForm: 'Nuova voce',
    saved: (id: string): string => `Voce ${id} salvata.`,
    required: (what: string): string => `${what}: obbligatorio.`,
    tryHeading: 'Prova una domanda',
    tryLabel: 'Un cliente scrive',
    tryButton: 'Chiedi al bot',
    outcome: { answered: 'risponde', asked: 'chiede quale si intende', handed_over: 'passa a una persona' } as Record<string, string>,
    tryResult: (outcome: string, entry: string | null, confidence: number, language: string): string =>
      `Il bot ${outcome}${entry ? ` con ${entry}` : ''} (confidenza ${Math.round(confidence * 100)} %, lingua ${language}).`,
    reply: 'Risposta:',
  },
  de: {
    tab: 'Wissensdatenbank',
    hint: 'Der Bot beantwortet erste Nachrichten mit diesen Einträgen in der Sprache des Kunden und übergibt an eine Person, wenn er unsicher ist.',
    id: 'Id',
    language: 'Sprache',
    question: 'Frage',
    tags: 'Tags',
    empty: 'Noch keine Einträge: der Bot schweigt, bis es einen gibt.',
    edit: 'Bearbeiten',
    remove: 'Löschen',
    confirmRemove: (id: string): string => `Den Eintrag ${id} löschen? Der Bot verwendet ihn sofort nicht mehr.`,
    removed: (id: string): string => `Eintrag ${id} gelöscht.`,
    editorNew: 'Neuer Eintrag',
    editorEdit: (id: string): string => `${id} bearbeiten`,
    idHint: 'Buchstaben, Ziffern, Punkt, Bindestrich und Unterstrich; eine vorhandene Id ersetzt diesen Eintrag.',
    questions: 'Fragen (eine Formulierung pro Zeile)',
    answer: 'Antwort',
    tagsField: 'Tags (durch Kommas getrennt; presale, product oder sizing markieren eine Vorverkaufsantwort)',
    products: 'Produkt-Ids (durch Kommas getrennt, optional)',
    save: 'Eintrag speichern',
    clearForm: 'Neuer Eintrag',
    saved: (id: string): string => `Eintrag ${id} gespeichert.`,
    required: (what: string): string => `${what}: erforderlich.`,
    tryHeading: 'Eine Frage ausprobieren',
    tryLabel: 'Ein Kunde schreibt',
    tryButton: 'Den Bot fragen',
    outcome: { answered: 'antwortet', asked: 'fragt, welcher gemeint ist', handed_over: 'übergibt an eine Person' } as Record<string, string>,
    tryResult: (outcome: string, entry: string | null, confidence: number, language: string): string =>
      `Der Bot ${outcome}${entry ? ` mit ${entry}` : ''} (Konfidenz ${Math.round(confidence * 100)} %, Sprache ${language}).`,
    reply: 'Antwort:',
  },
  nl: {
    tab: 'Kennisbank',
    hint: 'De bot beantwoordt eerste berichten met deze items, in de taal van de klant, en geeft door aan een persoon als hij het niet zeker weet.',
    id: 'Id',
    language: 'Taal',
    question: 'Vraag',
    tags: 'Tags',
    empty: 'Nog geen items: de bot zwijgt tot er een is.',
    edit: 'Bewerken',
    remove: 'Verwijderen',
    confirmRemove: (id: string): string => `Het item ${id} verwijderen? De bot gebruikt het meteen niet meer.`,
    removed: (id: string): string => `Item ${id} verwijderd.`,
    editorNew: 'Nieuw item',
    editorEdit: (id: string): string => `${id} bewerken`,
    idHint: 'Letters, cijfers, punt, streepje en underscore; een bestaande id vervangt dat item.',
    questions: 'Vragen (één formulering per regel)',
    answer: 'Antwoord',
    tagsField: 'Tags (komma-gescheiden; presale, product of sizing markeren een pre-sale antwoord)',
    products: 'Product-ids (komma-gescheiden, optioneel)',
    save: 'Item opslaan',
    clearForm: 'Nieuw item',
    saved: (id: string): string => `Item ${id} opgeslagen.`,
    required: (what: string): string => `${what}: verplicht.`,
    tryHeading: 'Een vraag uitproberen',
    tryLabel: 'Een klant schrijft',
    tryButton: 'Vraag de bot',
    outcome: { answered: 'antwoordt', asked: 'vraagt welke bedoeld wordt', handed_over: 'geeft door aan een persoon' } as Record<string, string>,
    tryResult: (outcome: string, entry: string | null, confidence: number, language: string): string =>
      `De bot ${outcome}${entry ? ` met ${entry}` : ''} (zekerheid ${Math.round(confidence * 100)} %, taal ${language}).`,
    reply: 'Antwoord:',
  },
} satisfies Record<Lang, unknown>;

const t = textByLang[lang];
export const kbTabLabel = t.tab;

const KB_LANGUAGES = ['en', 'it', 'de', 'nl'] as const;
const ID_RE = /^[A-Za-z0-9._-]{1,100}$/;

const list = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

export async function kbTab(body: HTMLElement, api: ConsoleApi, agent: Agent): Promise<void> {
  const status = el('p', { className: 'hint', role: 'status', id: 'kb-status' });
  const error = el('p', { className: 'form-error', role: 'alert', id: 'kb-error' });
  const table = dataTable<KbEntry>({ id: 'kb-table', caption: t.tab, headings: [t.id, t.language, t.question, t.tags, ''], empty: t.empty, row: (e) => row(e) });
  body.append(el('h2', {}, t.tab), el('p', { className: 'hint' }, t.hint), ...table.nodes, status, error);
  const admin = agent.role === 'admin';

  // ---- the editor
  const heading = el('h2', { id: 'kb-editor-heading' }, t.editorNew);
  const id = el('input', { id: 'kb-id', maxlength: 100, autocomplete: 'off', 'aria-describedby': 'kb-id-hint' });
  const language = el('select', { id: 'kb-language' });
  for (const l of KB_LANGUAGES) language.append(el('option', { value: l }, l));
  language.value = lang;
  const questions = el('textarea', { id: 'kb-questions', rows: 3 });
  const answer = el('textarea', { id: 'kb-answer', rows: 4, maxlength: 4000 });
  const tags = el('input', { id: 'kb-tags', autocomplete: 'off' });
  const products = el('input', { id: 'kb-products', autocomplete: 'off' });
  const save = el('button', { type: 'submit', className: 'btn btn-primary' }, t.save);
  const fresh = el('button', { type: 'button', className: 'btn btn-quiet' }, t.clearForm);
  const form = el(
    'form',
    { className: 'settings-form', id: 'kb-form', 'aria-labelledby': 'kb-editor-heading', novalidate: true },
    heading,
    el('div', { className: 'field' }, el('label', { for: 'kb-id' }, t.id), id, el('span', { className: 'hint', id: 'kb-id-hint' }, t.idHint)),
    el('div', { className: 'field' }, el('label', { for: 'kb-language' }, t.language), language),
    el('div', { className: 'field' }, el('label', { for: 'kb-questions' }, t.questions), questions),
    el('div', { className: 'field' }, el('label', { for: 'kb-answer' }, t.answer), answer),
    el('div', { className: 'field' }, el('label', { for: 'kb-tags' }, t.tagsField), tags),
    el('div', { className: 'field' }, el('label', { for: 'kb-products' }, t.products), products),
    el('div', { className: 'form-actions' }, save, fresh),
  );
  const fields: Record<string, HTMLElement> = { id, language, questions, answer, tags, product_ids: products };

  const fill = (e: KbEntry | null): void => {
    heading.textContent = e ? t.editorEdit(e.id) : t.editorNew;
    id.value = e?.id ?? '';
    language.value = e?.language ?? lang;
    questions.value = (e?.questions ?? []).join('\n');
    answer.value = e?.answer ?? '';
    tags.value = (e?.tags ?? []).join(', ');
    products.value = (e?.product_ids ?? []).join(', ');
  };
  fresh.addEventListener('click', () => {
    fill(null);
    error.textContent = '';
    id.focus();
  });

  const row = (e: KbEntry): HTMLTableRowElement => {
    const actions = el('td', { className: 'row-actions' });
    if (admin) {
      const edit = el('button', { type: 'button', className: 'btn btn-secondary btn-small', 'aria-label': `${t.edit} ${e.id}` }, t.edit);
      edit.addEventListener('click', () => {
        fill(e);
        error.textContent = '';
        questions.focus();
      });
      const remove = el('button', { type: 'button', className: 'btn btn-quiet btn-small', 'aria-label': `${t.remove} ${e.id}` }, t.remove);
      remove.addEventListener('click', () => {
        if (!window.confirm(t.confirmRemove(e.id))) return;
        remove.disabled = true;
        error.textContent = '';
        api
          .deleteKbEntry(e.id)
          .then(() => {
            status.textContent = t.removed(e.id);
            return reload();
          })
          .catch((x: unknown) => {
            error.textContent = why(x);
            remove.disabled = false;
          });
      });
      actions.append(edit, ' ', remove);
    }
    return el(
      'tr',
      { 'data-entry-id': e.id },
      el('td', { className: 'mono' }, e.id),
      el('td', {}, e.language),
      el('td', {}, e.questions[0] ?? ''),
      el('td', {}, e.tags.join(', ')),
      actions,
    );
  };

  const reload = (): Promise<void> => table.load(() => api.listKbEntries(), (e) => (error.textContent = why(e)));

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    error.textContent = '';
    status.textContent = '';
    const entry: KbEntry = {
      id: id.value.trim(),
      language: language.value,
      questions: questions.value
        .split('\n')
        .map((q) => q.trim())
        .filter(Boolean),
      answer: answer.value.trim(),
      tags: list(tags.value),
      product_ids: list(products.value),
    };
    const missing: [HTMLElement, string][] = [
      [id, t.id],
      [questions, t.questions],
      [answer, t.answer],
    ];
    for (const [input, label] of missing) {
      if (!(input as HTMLInputElement).value.trim()) {
        error.textContent = t.required(label);
        input.focus();
        return;
      }
    }
    if (!ID_RE.test(entry.id)) {
      error.textContent = t.idHint;
      id.focus();
      return;
    }
    save.disabled = true;
    api
      .saveKbEntry(entry)
      .then(async () => {
        status.textContent = t.saved(entry.id);
        heading.textContent = t.editorEdit(entry.id);
        await reload();
      })
      .catch((e: unknown) => {
        error.textContent = why(e);
        // "entries[0].questions[1]" -> the questions field.
        const key = e instanceof ApiError && e.field ? /^entries\[\d+\]\.([a-z_]+)/.exec(e.field)?.[1] : undefined;
        if (key) fields[key]?.focus();
      })
      .finally(() => (save.disabled = false));
  });

  // ---- try a question
  const tryText = el('input', { id: 'kb-try-text', autocomplete: 'off', maxlength: 1000 });
  const tryButton = el('button', { type: 'submit', className: 'btn btn-secondary' }, t.tryButton);
  const tryResult = el('div', { className: 'kb-try-result', id: 'kb-try-result', role: 'status', 'aria-live': 'polite' });
  const tryForm = el(
    'form',
    { className: 'settings-form', 'aria-labelledby': 'kb-try-heading' },
    el('h2', { id: 'kb-try-heading' }, t.tryHeading),
    el('div', { className: 'field' }, el('label', { for: 'kb-try-text' }, t.tryLabel), tryText),
    tryButton,
    tryResult,
  );
  tryForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = tryText.value.trim();
    if (!text) return;
    tryButton.disabled = true;
    clear(tryResult);
    api
      .searchKb(text)
      .then((r) => {
        tryResult.append(
          el('p', { className: 'kb-try-outcome', 'data-outcome': r.outcome }, t.tryResult(t.outcome[r.outcome] ?? r.outcome, r.entry_id, r.confidence, r.language)),
        );
        if (r.reply) tryResult.append(el('p', { className: 'kb-try-reply' }, el('span', { className: 'hint' }, `${t.reply} `), r.reply));
      })
      .catch((e: unknown) => tryResult.append(el('p', { className: 'form-error' }, why(e))))
      .finally(() => (tryButton.disabled = false));
  });

  await reload();
  if (admin) body.append(form);
  body.append(tryForm);
}
