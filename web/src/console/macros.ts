// Macros (docs/service.md#macros): Settings > Macros, where admins define them (agents read), and the
// composer's "Macros" menu, which previews one on the conversation (what it will do, the reply filled
// in by the server) and runs it after a confirmation. The server does everything in one write; the
// reply, the payment card, the tags and the assignee then arrive through the usual live events.
// Nothing the server or a customer wrote is inserted as HTML.

import { ApiError } from '../shared/http';
import { clear, el } from '../shared/dom';
import { lang, type Lang } from '../shared/strings';
import type { Agent, Conversation } from '../shared/types';
import type { ConsoleApi, Team } from './api';
import { apiErrorText as why, dataTable } from './admin-kit';
import { CANNED_VARIABLES } from './canned-admin';
import { parseMinor, plainAmount } from './refund';
import { formatMoney } from './render';

export interface MacroActions {
  reply?: { text: string; note?: boolean };
  add_tags?: string[];
  remove_tags?: string[];
  priority?: number;
  status?: 'open' | 'snoozed' | 'resolved';
  assign?: { team_id?: string | null; agent_id?: string | null };
  payment_link?: { amount?: number; currency?: string; cart?: boolean; description?: string };
}
export interface Macro {
  id: string;
  name: string;
  description: string;
  actions: MacroActions;
  created_at: string;
  updated_at: string;
}
/** One step of a preview or a run, as the server describes it. */
export interface MacroStep {
  action: 'reply' | 'payment_link' | 'tags' | 'priority' | 'status' | 'assign';
  kind?: string;
  text?: string;
  amount?: number;
  currency?: string;
  added?: string[];
  removed?: string[];
  priority?: number;
  status?: string;
  team_name?: string | null;
  agent_name?: string | null;
  picks_member?: boolean;
}
export interface MacroPreview {
  macro_id: string;
  macro_name: string;
  steps: MacroStep[];
}
export interface MacroRun extends MacroPreview {
  run_id: string;
  note_message_id: string;
  conversation: Conversation;
}

const textByLang = {
  en: {
    tab: 'Macros',
    runsLink: 'Macro runs: who ran which macro, where and when',
    hint: 'A macro does several things at once on a conversation: a reply, tags, priority, status, an assignment and a payment link. Agents run them from the composer’s Macros menu.',
    name: 'Name',
    description: 'Description',
    does: 'What it does',
    empty: 'No macros yet.',
    edit: 'Edit',
    remove: 'Delete',
    confirmRemove: (n: string): string => `Delete the macro ${n}?`,
    removed: (n: string): string => `Macro ${n} deleted.`,
    newHeading: 'Add a macro',
    editHeading: (n: string): string => `Edit ${n}`,
    reply: 'Reply',
    replyHint: 'Optional. The variables are filled in for the conversation.',
    replyNote: 'As an internal note',
    variables: 'Variables:',
    insert: (v: string): string => `Insert ${v}`,
    addTags: 'Add tags',
    removeTags: 'Remove tags',
    tagsHint: 'Comma-separated: lowercase letters, digits, - and _.',
    priority: 'Priority (0-1000)',
    status: 'Status',
    noChange: 'No change',
    open: 'Reopen',
    snoozed: 'Snooze',
    resolved: 'Resolve',
    team: 'Assign to team',
    outOfTeam: 'Out of its team',
    agent: 'Assign to agent',
    unassign: 'Unassigned',
    link: 'Payment link',
    linkNone: 'None',
    linkAmount: 'An amount',
    linkCart: 'The open cart',
    amount: 'Amount',
    currency: 'Currency',
    linkDescription: 'Link description',
    save: 'Save macro',
    cancel: 'Cancel editing',
    saved: (n: string): string => `Macro ${n} saved.`,
    required: (what: string): string => `${what}: required.`,
    badAmount: 'Amount: a number such as 12.50.',
    badPriority: 'Priority: a whole number from 0 to 1000.',
    // summaries and steps
    sReply: 'Reply',
    sNote: 'Internal note',
    sTags: (add: string[], rem: string[]): string => [...add.map((x) => `+${x}`), ...rem.map((x) => `−${x}`)].join(' '),
    sPriority: (p: number): string => `Priority ${p}`,
    sStatus: (s: string): string => (s === 'resolved' ? 'Resolve' : s === 'snoozed' ? 'Snooze' : 'Reopen'),
    sAssign: (team: string | null, agent: string | null): string =>
      `Assign to ${[team ? `team ${team}` : '', agent ?? ''].filter(Boolean).join(', ') || 'nobody'}`,
    sLink: (amount: string | null): string => (amount ? `Payment link ${amount}` : 'Payment link for the open cart'),
    // composer
    menu: 'Macros',
    menuEmpty: 'No macros yet: admins add them in Settings > Macros.',
    confirmHeading: (n: string): string => `Run “${n}”?`,
    stepReply: 'Reply:',
    stepNote: 'Internal note:',
    stepLink: (amount: string): string => `Send a payment link for ${amount}`,
    stepTags: (add: string[], rem: string[]): string =>
      [add.length ? `Add tags ${add.join(', ')}` : '', rem.length ? `remove ${rem.join(', ')}` : ''].filter(Boolean).join('; ') || 'Tags unchanged',
    stepPriority: (p: number): string => `Set priority ${p}`,
    stepStatus: (s: string): string => (s === 'resolved' ? 'Resolve the conversation' : s === 'snoozed' ? 'Snooze it until the customer writes' : 'Reopen it'),
    stepAssign: (team: string | null, agent: string | null, picks: boolean): string =>
      picks ? `Assign to team ${team}: whoever is free (or its queue)` : `Assign to ${[team ? `team ${team}` : '', agent ?? ''].filter(Boolean).join(', ') || 'nobody'}`,
    run: 'Run macro',
    back: 'Cancel',
    ran: (n: string): string => `Macro ${n} done.`,
    failed: 'The macro did nothing:',
  },
  it: {
    tab: 'Macro',
    runsLink: 'Esecuzioni delle macro: chi ha eseguito quale macro, dove e quando',
    hint: 'Una macro fa più cose insieme su una conversazione: una risposta, tag, priorità, stato, un’assegnazione e un link di pagamento. Gli operatori le eseguono dal menu Macro del campo di risposta.',
    name: 'Nome',
    description: 'Descrizione',
    does: 'Cosa fa',
    empty: 'Ancora nessuna macro.',
    edit: 'Modifica',
    remove: 'Elimina',
    confirmRemove: (n: string): string => `Eliminare la macro ${n}?`,
    removed: (n: string): string => `Macro ${n} eliminata.`,
    newHeading: 'Aggiungi una macro',
    editHeading: (n: string): string => `Modifica ${n}`,
    reply: 'Risposta',
    replyHint: 'Facoltativa. Le variabili vengono compilate per la conversazione.',
    replyNote: 'Come nota interna',
    variables: 'Variabili:',
    insert: (v: string): string => `Inserisci ${v}`,
    addTags: 'Aggiungi tag',
    removeTags: 'Rimuovi tag',
    tagsHint: 'Separati da virgole: lettere minuscole, cifre, - e _.',
    priority: 'Priorità (0-1000)',
    status: 'Stato',
    noChange: 'Nessuna modifica',
    open: 'Riapri',
    snoozed: 'Posticipa',
    resolved: 'Risolvi',
    team: 'Assegna al team',
    outOfTeam: 'Fuori dal suo team',
    agent: 'Assegna all’operatore',
    unassign: 'Non assegnata',
    link: 'Link di pagamento',
    linkNone: 'Nessuno',
    linkAmount: 'Un importo',
    linkCart: 'Il carrello aperto',
    amount: 'Importo',
    currency: 'Valuta',
    linkDescription: 'Descrizione del link',
    save: 'Salva macro',
    cancel: 'Annulla modifica',
    saved: (n: string): string => `Macro ${n} salvata.`,
    required: (what: string): string => `${what}: obbligatorio.`,
    badAmount: 'Importo: un numero come 12,50.',
    badPriority: 'Priorità: un numero intero da 0 a 1000.',
    sReply: 'Risposta',
    sNote: 'Nota interna',
    sTags: (add: string[], rem: string[]): string => [...add.map((x) => `+${x}`), ...rem.map((x) => `−${x}`)].join(' '),
    sPriority: (p: number): string => `Priorità ${p}`,
    sStatus: (s: string): string => (s === 'resolved' ? 'Risolvi' : s === 'snoozed' ? 'Posticipa' : 'Riapri'),
    sAssign: (team: string | null, agent: string | null): string =>
      `Assegna a ${[team ? `team ${team}` : '', agent ?? ''].filter(Boolean).join(', ') || 'nessuno'}`,
    sLink: (amount: string | null): string => (amount ? `Link di pagamento ${amount}` : 'Link di pagamento per il carrello aperto'),
    menu: 'Macro',
    menuEmpty: 'Ancora nessuna macro: gli amministratori le aggiungono in Impostazioni > Macro.',
    confirmHeading: (n: string): string => `Eseguire “${n}”?`,
    stepReply: 'Risposta:',
    stepNote: 'Nota interna:',
    stepLink: (amount: string): string => `Invia un link di pagamento di ${amount}`,
    stepTags: (add: string[], rem: string[]): string =>
      [add.length ? `Aggiungi i tag ${add.join(', ')}` : '', rem.length ? `rimuovi ${rem.join(', ')}` : ''].filter(Boolean).join('; ') || 'Tag invariati',
    stepPriority: (p: number): string => `Imposta la priorità ${p}`,
    stepStatus: (s: string): string => (s === 'resolved' ? 'Risolvi la conversazione' : s === 'snoozed' ? 'Posticipala finché il cliente scrive' : 'Riaprila'),
    stepAssign: (team: string | null, agent: string | null, picks: boolean): string =>
      picks ? `Assegna al team ${team}: chi è libero (o la coda)` : `Assegna a ${[team ? `team ${team}` : '', agent ?? ''].filter(Boolean).join(', ') || 'nessuno'}`,
    run: 'Esegui macro',
    back: 'Annulla',
    ran: (n: string): string => `Macro ${n} eseguita.`,
    failed: 'La macro non ha fatto nulla:',
  },
  de: {
    tab: 'Makros',
    runsLink: 'Makro-Ausführungen: wer welches Makro wo und wann ausgeführt hat',
    hint: 'Ein Makro erledigt mehreres auf einmal in einer Unterhaltung: eine Antwort, Tags, Priorität, Status, eine Zuweisung und einen Zahlungslink. Mitarbeitende starten sie im Menü Makros des Antwortfelds.',
    name: 'Name',
    description: 'Beschreibung',
    does: 'Was es tut',
    empty: 'Noch keine Makros.',
    edit: 'Bearbeiten',
    remove: 'Löschen',
    confirmRemove: (n: string): string => `Das Makro ${n} löschen?`,
    removed: (n: string): string => `Makro ${n} gelöscht.`,
    newHeading: 'Makro hinzufügen',
    editHeading: (n: string): string => `${n} bearbeiten`,
    reply: 'Antwort',
    replyHint: 'Optional. Die Variablen werden für die Unterhaltung ausgefüllt.',
    replyNote: 'Als interne Notiz',
    variables: 'Variablen:',
    insert: (v: string): string => `${v} einfügen`,
    addTags: 'Tags hinzufügen',
    removeTags: 'Tags entfernen',
    tagsHint: 'Durch Kommas getrennt: Kleinbuchstaben, Ziffern, - und _.',
    priority: 'Priorität (0-1000)',
    status: 'Status',
    noChange: 'Keine Änderung',
    open: 'Wieder öffnen',
    snoozed: 'Zurückstellen',
    resolved: 'Erledigen',
    team: 'Team zuweisen',
    outOfTeam: 'Aus dem Team nehmen',
    agent: 'Person zuweisen',
    unassign: 'Niemandem zugewiesen',
    link: 'Zahlungslink',
    linkNone: 'Keiner',
    linkAmount: 'Ein Betrag',
    linkCart: 'Der offene Warenkorb',
    amount: 'Betrag',
    currency: 'Währung',
    linkDescription: 'Beschreibung des Links',
    save: 'Makro speichern',
    cancel: 'Bearbeiten abbrechen',
    saved: (n: string): string => `Makro ${n} gespeichert.`,
    required: (what: string): string => `${what}: erforderlich.`,
    badAmount: 'Betrag: eine Zahl wie 12,50.',
    badPriority: 'Priorität: eine ganze Zahl von 0 bis 1000.',
    sReply: 'Antwort',
    sNote: 'Interne Notiz',
    sTags: (add: string[], rem: string[]): string => [...add.map((x) => `+${x}`), ...rem.map((x) => `−${x}`)].join(' '),
    sPriority: (p: number): string => `Priorität ${p}`,
    sStatus: (s: string): string => (s === 'resolved' ? 'Erledigen' : s === 'snoozed' ? 'Zurückstellen' : 'Wieder öffnen'),
    sAssign: (team: string | null, agent: string | null): string =>
      `Zuweisen an ${[team ? `Team ${team}` : '', agent ?? ''].filter(Boolean).join(', ') || 'niemanden'}`,
    sLink: (amount: string | null): string => (amount ? `Zahlungslink ${amount}` : 'Zahlungslink für den offenen Warenkorb'),
    menu: 'Makros',
    menuEmpty: 'Noch keine Makros: Admins legen sie unter Einstellungen > Makros an.',
    confirmHeading: (n: string): string => `„${n}“ ausführen?`,
    stepReply: 'Antwort:',
    stepNote: 'Interne Notiz:',
    stepLink: (amount: string): string => `Einen Zahlungslink über ${amount} senden`,
    stepTags: (add: string[], rem: string[]): string =>
      [add.length ? `Tags ${add.join(', ')} hinzufügen` : '', rem.length ? `${rem.join(', ')} entfernen` : ''].filter(Boolean).join('; ') || 'Tags unverändert',
    stepPriority: (p: number): string => `Priorität ${p} setzen`,
    stepStatus: (s: string): string => (s === 'resolved' ? 'Die Unterhaltung erledigen' : s === 'snoozed' ? 'Zurückstellen, bis die Kundin oder der Kunde schreibt' : 'Wieder öffnen'),
    stepAssign: (team: string | null, agent: string | null, picks: boolean): string =>
      picks ? `An Team ${team}: wer frei ist (oder die Warteschlange)` : `Zuweisen an ${[team ? `Team ${team}` : '', agent ?? ''].filter(Boolean).join(', ') || 'niemanden'}`,
    run: 'Makro ausführen',
    back: 'Abbrechen',
    ran: (n: string): string => `Makro ${n} ausgeführt.`,
    failed: 'Das Makro hat nichts getan:',
  },
  nl: {
    tab: 'Macro’s',
    runsLink: 'Uitgevoerde macro’s: wie welke macro waar en wanneer uitvoerde',
    hint: 'Een macro doet meerdere dingen tegelijk in een gesprek: een antwoord, tags, prioriteit, status, een toewijzing en een betaallink. Medewerkers voeren ze uit via het menu Macro’s bij het antwoordveld.',
    name: 'Naam',
    description: 'Beschrijving',
    does: 'Wat hij doet',
    empty: 'Nog geen macro’s.',
    edit: 'Bewerken',
    remove: 'Verwijderen',
    confirmRemove: (n: string): string => `De macro ${n} verwijderen?`,
    removed: (n: string): string => `Macro ${n} verwijderd.`,
    newHeading: 'Macro toevoegen',
    editHeading: (n: string): string => `${n} bewerken`,
    reply: 'Antwoord',
    replyHint: 'Optioneel. De variabelen worden voor het gesprek ingevuld.',
    replyNote: 'Als interne notitie',
    variables: 'Variabelen:',
    insert: (v: string): string => `${v} invoegen`,
    addTags: 'Tags toevoegen',
    removeTags: 'Tags verwijderen',
    tagsHint: 'Gescheiden door komma’s: kleine letters, cijfers, - en _.',
    priority: 'Prioriteit (0-1000)',
    status: 'Status',
    noChange: 'Geen wijziging',
    open: 'Heropenen',
    snoozed: 'Uitstellen',
    resolved: 'Afhandelen',
    team: 'Toewijzen aan team',
    outOfTeam: 'Uit het team halen',
    agent: 'Toewijzen aan medewerker',
    unassign: 'Niet toegewezen',
    link: 'Betaallink',
    linkNone: 'Geen',
    linkAmount: 'Een bedrag',
    linkCart: 'De open winkelwagen',
    amount: 'Bedrag',
    currency: 'Valuta',
    linkDescription: 'Beschrijving van de link',
    save: 'Macro opslaan',
    cancel: 'Bewerken annuleren',
    saved: (n: string): string => `Macro ${n} opgeslagen.`,
    required: (what: string): string => `${what}: verplicht.`,
    badAmount: 'Bedrag: een getal zoals 12,50.',
    badPriority: 'Prioriteit: een geheel getal van 0 tot 1000.',
    sReply: 'Antwoord',
    sNote: 'Interne notitie',
    sTags: (add: string[], rem: string[]): string => [...add.map((x) => `+${x}`), ...rem.map((x) => `−${x}`)].join(' '),
    sPriority: (p: number): string => `Prioriteit ${p}`,
    sStatus: (s: string): string => (s === 'resolved' ? 'Afhandelen' : s === 'snoozed' ? 'Uitstellen' : 'Heropenen'),
    sAssign: (team: string | null, agent: string | null): string =>
      `Toewijzen aan ${[team ? `team ${team}` : '', agent ?? ''].filter(Boolean).join(', ') || 'niemand'}`,
    sLink: (amount: string | null): string => (amount ? `Betaallink ${amount}` : 'Betaallink voor de open winkelwagen'),
    menu: 'Macro’s',
    menuEmpty: 'Nog geen macro’s: beheerders voegen ze toe bij Instellingen > Macro’s.',
    confirmHeading: (n: string): string => `“${n}” uitvoeren?`,
    stepReply: 'Antwoord:',
    stepNote: 'Interne notitie:',
    stepLink: (amount: string): string => `Een betaallink van ${amount} sturen`,
    stepTags: (add: string[], rem: string[]): string =>
      [add.length ? `Tags ${add.join(', ')} toevoegen` : '', rem.length ? `${rem.join(', ')} verwijderen` : ''].filter(Boolean).join('; ') || 'Tags ongewijzigd',
    stepPriority: (p: number): string => `Prioriteit ${p} instellen`,
    stepStatus: (s: string): string => (s === 'resolved' ? 'Het gesprek afhandelen' : s === 'snoozed' ? 'Uitstellen tot de klant schrijft' : 'Heropenen'),
    stepAssign: (team: string | null, agent: string | null, picks: boolean): string =>
      picks ? `Naar team ${team}: wie vrij is (of de wachtrij)` : `Toewijzen aan ${[team ? `team ${team}` : '', agent ?? ''].filter(Boolean).join(', ') || 'niemand'}`,
    run: 'Macro uitvoeren',
    back: 'Annuleren',
    ran: (n: string): string => `Macro ${n} uitgevoerd.`,
    failed: 'De macro heeft niets gedaan:',
  },
} satisfies Record<Lang, unknown>;

const t = textByLang[lang];
export const macrosTabLabel = t.tab;
const NONE = '__none';

/** One line saying what a macro does, for the settings table and the composer's menu. */
export function macroSummary(m: Macro, teams: Team[], agents: Agent[]): string {
  const a = m.actions;
  const parts: string[] = [];
  if (a.reply) parts.push(a.reply.note ? t.sNote : t.sReply);
  if (a.add_tags?.length || a.remove_tags?.length) parts.push(t.sTags(a.add_tags ?? [], a.remove_tags ?? []));
  if (a.priority !== undefined) parts.push(t.sPriority(a.priority));
  if (a.status) parts.push(t.sStatus(a.status));
  if (a.assign) {
    const team = a.assign.team_id ? (teams.find((x) => x.id === a.assign?.team_id)?.name ?? a.assign.team_id) : null;
    const agent = a.assign.agent_id ? (agents.find((x) => x.id === a.assign?.agent_id)?.name ?? a.assign.agent_id) : null;
    parts.push(t.sAssign(team, agent));
  }
  if (a.payment_link)
    parts.push(t.sLink(a.payment_link.cart ? null : formatMoney(a.payment_link.amount ?? 0, a.payment_link.currency ?? 'EUR')));
  return parts.join(' · ');
}

/** A labelled field with a line for its own error (filled from the server's `field`). */
function field(id: string, label: string, input: HTMLElement, hint?: string): { box: HTMLElement; error: HTMLElement } {
  const error = el('span', { className: 'field-error', id: `${id}-error`, role: 'alert' });
  input.setAttribute('aria-describedby', hint ? `${id}-hint ${id}-error` : `${id}-error`);
  const box = el(
    'div',
    { className: 'field' },
    el('label', { for: id }, label),
    input,
    ...(hint ? [el('span', { className: 'hint', id: `${id}-hint` }, hint)] : []),
    error,
  );
  return { box, error };
}

const splitTags = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean);

// ---------------------------------------------------------------- Settings > Macros

export async function macrosTab(body: HTMLElement, api: ConsoleApi, agent: Agent): Promise<void> {
  const admin = agent.role === 'admin';
  const status = el('p', { className: 'hint', role: 'status', id: 'macros-status' });
  const error = el('p', { className: 'form-error', role: 'alert', id: 'macros-error' });
  let teams: Team[] = [];
  let agents: Agent[] = [];
  const table = dataTable<Macro>({ id: 'macros-table', caption: t.tab, headings: [t.name, t.does, ''], empty: t.empty, row: (m) => row(m) });
  body.append(
    el('h2', {}, t.tab),
    el('p', { className: 'hint' }, t.hint),
    el('p', {}, el('a', { href: '#/settings/macro-runs', id: 'macro-runs-link' }, t.runsLink)),
    ...table.nodes,
    status,
    error,
  );

  let editing: Macro | null = null;
  const heading = el('h2', { id: 'macro-heading' }, t.newHeading);
  const name = el('input', { id: 'macro-name', maxlength: 80, autocomplete: 'off' });
  const description = el('input', { id: 'macro-description', maxlength: 500, autocomplete: 'off' });
  const reply = el('textarea', { id: 'macro-reply', rows: 3, maxlength: 4000 });
  const replyNote = el('input', { type: 'checkbox', id: 'macro-reply-note' });
  const addTags = el('input', { id: 'macro-add-tags', autocomplete: 'off' });
  const removeTags = el('input', { id: 'macro-remove-tags', autocomplete: 'off' });
  const priority = el('input', { id: 'macro-priority', inputmode: 'numeric', autocomplete: 'off' });
  const statusSel = el(
    'select',
    { id: 'macro-status' },
    el('option', { value: '' }, t.noChange),
    el('option', { value: 'resolved' }, t.resolved),
    el('option', { value: 'snoozed' }, t.snoozed),
    el('option', { value: 'open' }, t.open),
  );
  const teamSel = el('select', { id: 'macro-team' });
  const agentSel = el('select', { id: 'macro-agent' });
  const linkSel = el(
    'select',
    { id: 'macro-link' },
    el('option', { value: '' }, t.linkNone),
    el('option', { value: 'amount' }, t.linkAmount),
    el('option', { value: 'cart' }, t.linkCart),
  );
  const amount = el('input', { id: 'macro-amount', inputmode: 'decimal', autocomplete: 'off' });
  const currency = el('input', { id: 'macro-currency', maxlength: 3, autocomplete: 'off', value: 'EUR' });
  const linkDescription = el('input', { id: 'macro-link-description', maxlength: 500, autocomplete: 'off' });
  const chips = CANNED_VARIABLES.map((v) => {
    const b = el('button', { type: 'button', className: 'btn btn-quiet btn-small canned-var', 'aria-label': t.insert(v) }, v);
    b.addEventListener('click', () => {
      const at = reply.selectionStart ?? reply.value.length;
      const end = reply.selectionEnd ?? at;
      reply.value = reply.value.slice(0, at) + v + reply.value.slice(end);
      reply.focus();
      reply.setSelectionRange(at + v.length, at + v.length);
    });
    return b;
  });
  const f = {
    name: field('macro-name', t.name, name),
    description: field('macro-description', t.description, description),
    reply: field('macro-reply', t.reply, reply, t.replyHint),
    addTags: field('macro-add-tags', t.addTags, addTags, t.tagsHint),
    removeTags: field('macro-remove-tags', t.removeTags, removeTags),
    priority: field('macro-priority', t.priority, priority),
    status: field('macro-status', t.status, statusSel),
    team: field('macro-team', t.team, teamSel),
    agent: field('macro-agent', t.agent, agentSel),
    link: field('macro-link', t.link, linkSel),
    amount: field('macro-amount', t.amount, amount),
    currency: field('macro-currency', t.currency, currency),
    linkDescription: field('macro-link-description', t.linkDescription, linkDescription),
  };
  const inputs: Record<keyof typeof f, HTMLElement> = {
    name, description, reply, addTags, removeTags, priority, status: statusSel, team: teamSel, agent: agentSel,
    link: linkSel, amount, currency, linkDescription,
  };
  const amountBox = el('div', { className: 'macro-link-amount' }, f.amount.box, f.currency.box);
  const syncLink = (): void => {
    amountBox.hidden = linkSel.value !== 'amount';
    f.linkDescription.box.hidden = linkSel.value === '';
  };
  linkSel.addEventListener('change', syncLink);
  const save = el('button', { type: 'submit', className: 'btn btn-primary' }, t.save);
  const cancel = el('button', { type: 'button', className: 'btn btn-quiet', hidden: true }, t.cancel);
  const form = el(
    'form',
    { className: 'settings-form', id: 'macro-form', 'aria-labelledby': 'macro-heading', novalidate: true },
    heading,
    f.name.box,
    f.description.box,
    f.reply.box,
    el('label', { className: 'toggle', for: 'macro-reply-note' }, replyNote, el('span', {}, t.replyNote)),
    el('div', { className: 'canned-vars', role: 'group', 'aria-label': t.variables }, el('span', { className: 'hint' }, t.variables), ...chips),
    f.addTags.box,
    f.removeTags.box,
    f.priority.box,
    f.status.box,
    f.team.box,
    f.agent.box,
    f.link.box,
    amountBox,
    f.linkDescription.box,
    el('div', { className: 'form-actions' }, save, cancel),
  );

  const fillSelects = (m: Macro | null): void => {
    const as = m?.actions.assign;
    clear(teamSel);
    teamSel.append(el('option', { value: '' }, t.noChange));
    for (const x of teams) teamSel.append(el('option', { value: x.id }, x.name));
    teamSel.append(el('option', { value: NONE }, t.outOfTeam));
    teamSel.value = as && 'team_id' in as ? (as.team_id ?? NONE) : '';
    clear(agentSel);
    agentSel.append(el('option', { value: '' }, t.noChange));
    for (const a of agents) agentSel.append(el('option', { value: a.id }, a.name || a.email));
    agentSel.append(el('option', { value: NONE }, t.unassign));
    agentSel.value = as && 'agent_id' in as ? (as.agent_id ?? NONE) : '';
  };
  const clearErrors = (): void => {
    error.textContent = '';
    for (const k of Object.keys(f) as (keyof typeof f)[]) {
      f[k].error.textContent = '';
      inputs[k].removeAttribute('aria-invalid');
    }
  };
  const showError = (k: keyof typeof f, text: string): void => {
    f[k].error.textContent = text;
    inputs[k].setAttribute('aria-invalid', 'true');
    inputs[k].focus();
  };
  const fill = (m: Macro | null): void => {
    editing = m;
    clearErrors();
    heading.textContent = m ? t.editHeading(m.name) : t.newHeading;
    const a = m?.actions ?? {};
    name.value = m?.name ?? '';
    description.value = m?.description ?? '';
    reply.value = a.reply?.text ?? '';
    replyNote.checked = a.reply?.note ?? false;
    addTags.value = (a.add_tags ?? []).join(', ');
    removeTags.value = (a.remove_tags ?? []).join(', ');
    priority.value = a.priority !== undefined ? String(a.priority) : '';
    statusSel.value = a.status ?? '';
    fillSelects(m);
    const link = a.payment_link;
    linkSel.value = link ? (link.cart ? 'cart' : 'amount') : '';
    currency.value = link?.currency ?? 'EUR';
    amount.value = link?.amount !== undefined ? plainAmount(link.amount, currency.value) : '';
    linkDescription.value = link?.description ?? '';
    syncLink();
    cancel.hidden = !m;
  };
  cancel.addEventListener('click', () => {
    fill(null);
    name.focus();
  });

  const row = (m: Macro): HTMLTableRowElement => {
    const cell = el('td', { className: 'row-actions' });
    if (admin) {
      const edit = el('button', { type: 'button', className: 'btn btn-secondary btn-small', 'aria-label': `${t.edit} ${m.name}` }, t.edit);
      edit.addEventListener('click', () => {
        fill(m);
        name.focus();
      });
      const remove = el('button', { type: 'button', className: 'btn btn-quiet btn-small', 'aria-label': `${t.remove} ${m.name}` }, t.remove);
      remove.addEventListener('click', () => {
        if (!window.confirm(t.confirmRemove(m.name))) return;
        remove.disabled = true;
        api
          .deleteMacro(m.id)
          .then(() => {
            status.textContent = t.removed(m.name);
            if (editing?.id === m.id) fill(null);
            return reload();
          })
          .catch((e: unknown) => {
            error.textContent = why(e);
            remove.disabled = false;
          });
      });
      cell.append(edit, ' ', remove);
    }
    return el(
      'tr',
      { 'data-macro-id': m.id },
      el('td', {}, el('strong', {}, m.name), ...(m.description ? [el('div', { className: 'hint' }, m.description)] : [])),
      el('td', { className: 'macro-summary' }, macroSummary(m, teams, agents)),
      cell,
    );
  };
  const reload = (): Promise<void> => table.load(() => api.listMacros(), (e) => (error.textContent = why(e)));

  /** The body to send, or null after showing what is wrong. */
  const collect = (): { name: string; description: string; actions: MacroActions } | null => {
    if (!name.value.trim()) {
      showError('name', t.required(t.name));
      return null;
    }
    const actions: MacroActions = {};
    if (reply.value.trim()) actions.reply = { text: reply.value, note: replyNote.checked };
    const add = splitTags(addTags.value);
    const rem = splitTags(removeTags.value);
    if (add.length) actions.add_tags = add;
    if (rem.length) actions.remove_tags = rem;
    if (priority.value.trim()) {
      const p = Number(priority.value.trim());
      if (!/^\d{1,4}$/.test(priority.value.trim()) || p > 1000) {
        showError('priority', t.badPriority);
        return null;
      }
      actions.priority = p;
    }
    if (statusSel.value) actions.status = statusSel.value as MacroActions['status'];
    if (teamSel.value || agentSel.value) {
      actions.assign = {};
      if (teamSel.value) actions.assign.team_id = teamSel.value === NONE ? null : teamSel.value;
      if (agentSel.value) actions.assign.agent_id = agentSel.value === NONE ? null : agentSel.value;
    }
    if (linkSel.value === 'cart') {
      actions.payment_link = { cart: true };
    } else if (linkSel.value === 'amount') {
      const cur = currency.value.trim().toUpperCase();
      if (!cur) {
        showError('currency', t.required(t.currency));
        return null;
      }
      const minor = parseMinor(amount.value, cur);
      if (minor === null || minor <= 0) {
        showError('amount', t.badAmount);
        return null;
      }
      actions.payment_link = { amount: minor, currency: cur };
    }
    if (actions.payment_link && linkDescription.value.trim()) actions.payment_link.description = linkDescription.value.trim();
    return { name: name.value.trim(), description: description.value.trim(), actions };
  };

  /** The server's field ("actions.add_tags[1]") -> the input it is about. */
  const inputFor = (key: string): keyof typeof f | null => {
    if (key === 'name' || key === 'description') return key;
    if (key.startsWith('actions.reply')) return 'reply';
    if (key.startsWith('actions.add_tags')) return 'addTags';
    if (key.startsWith('actions.remove_tags')) return 'removeTags';
    if (key.startsWith('actions.priority')) return 'priority';
    if (key.startsWith('actions.status')) return 'status';
    if (key.startsWith('actions.assign.team_id')) return 'team';
    if (key.startsWith('actions.assign')) return 'agent';
    if (key.startsWith('actions.payment_link.amount')) return 'amount';
    if (key.startsWith('actions.payment_link.currency')) return 'currency';
    if (key.startsWith('actions.payment_link.description')) return 'linkDescription';
    if (key.startsWith('actions.payment_link')) return 'link';
    if (key === 'actions') return 'reply';
    return null;
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors();
    status.textContent = '';
    const req = collect();
    if (!req) return;
    save.disabled = true;
    const done = editing ? api.updateMacro(editing.id, req) : api.createMacro(req);
    done
      .then(async (m) => {
        status.textContent = t.saved(m.name);
        fill(null);
        await reload();
      })
      .catch((e: unknown) => {
        const key = e instanceof ApiError && e.field ? inputFor(e.field) : null;
        if (key) showError(key, why(e));
        else error.textContent = why(e);
      })
      .finally(() => (save.disabled = false));
  });

  [teams, agents] = await Promise.all([api.listTeams().catch(() => []), api.listAgents().catch(() => [])]);
  await reload();
  if (admin) {
    fill(null);
    body.append(form);
  }
}

// ---------------------------------------------------------------- the composer's Macros menu

export interface MacroMenu {
  /** "Macros": opens the list. */
  button: HTMLButtonElement;
  /** The list, then the confirmation (hidden until the button is pressed). */
  panel: HTMLElement;
}

/** One step of a preview or a run as a list item (the composer's confirmation, the runs list). */
export function stepLine(s: MacroStep): HTMLElement {
  if (s.action === 'reply')
    return el('li', { className: 'macro-step' }, el('span', {}, s.kind === 'note' ? t.stepNote : t.stepReply), ' ', el('q', { className: 'macro-reply-preview' }, s.text ?? ''));
  if (s.action === 'payment_link') return el('li', { className: 'macro-step' }, t.stepLink(formatMoney(s.amount ?? 0, s.currency ?? 'EUR')));
  if (s.action === 'tags') return el('li', { className: 'macro-step' }, t.stepTags(s.added ?? [], s.removed ?? []));
  if (s.action === 'priority') return el('li', { className: 'macro-step' }, t.stepPriority(s.priority ?? 0));
  if (s.action === 'status') return el('li', { className: 'macro-step' }, t.stepStatus(s.status ?? ''));
  return el('li', { className: 'macro-step' }, t.stepAssign(s.team_name ?? null, s.agent_name ?? null, s.picks_member ?? false));
}

export function macroMenu(opts: {
  api: ConsoleApi;
  conversationId: string;
  /** The conversation as the server has it after the run (the events bring the rest). */
  onDone: (c: Conversation) => void;
}): MacroMenu {
  const { api, conversationId } = opts;
  const button = el('button', { type: 'button', className: 'btn btn-secondary', id: 'macro-button', 'aria-expanded': 'false', 'aria-controls': 'macro-panel' }, t.menu);
  const list = el('ul', { className: 'macro-list', id: 'macro-list', 'aria-label': t.menu });
  const confirmBox = el('div', { className: 'macro-confirm', id: 'macro-confirm', role: 'group', 'aria-labelledby': 'macro-confirm-heading', hidden: true });
  const status = el('p', { className: 'hint', role: 'status', id: 'macro-status' });
  const error = el('p', { className: 'form-error', role: 'alert', id: 'macro-error' });
  const panel = el('div', { className: 'macro-panel', id: 'macro-panel', hidden: true }, list, confirmBox, error);
  const close = (): void => {
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
  };
  panel.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      close();
      button.focus();
    }
  });

  const confirm = (m: Macro): void => {
    error.textContent = '';
    void api
      .previewMacro(conversationId, m.id)
      .then((p) => {
        clear(confirmBox);
        const run = el('button', { type: 'button', className: 'btn btn-primary', id: 'macro-run' }, t.run);
        const back = el('button', { type: 'button', className: 'btn btn-quiet' }, t.back);
        back.addEventListener('click', () => {
          confirmBox.hidden = true;
          list.hidden = false;
          (list.querySelector('button') as HTMLButtonElement | null)?.focus();
        });
        run.addEventListener('click', () => {
          run.disabled = true;
          error.textContent = '';
          api
            .runMacro(conversationId, m.id)
            .then((r) => {
              opts.onDone(r.conversation);
              status.textContent = t.ran(r.macro_name);
              close();
              button.focus();
            })
            .catch((e: unknown) => {
              error.textContent = `${t.failed} ${why(e)}`;
              run.disabled = false;
            });
        });
        confirmBox.append(
          el('h3', { id: 'macro-confirm-heading' }, t.confirmHeading(p.macro_name)),
          el('ol', { className: 'macro-steps' }, ...p.steps.map(stepLine)),
          el('div', { className: 'form-actions' }, run, back),
        );
        list.hidden = true;
        confirmBox.hidden = false;
        run.focus();
      })
      .catch((e: unknown) => (error.textContent = `${t.failed} ${why(e)}`));
  };

  button.addEventListener('click', () => {
    if (!panel.hidden) {
      close();
      return;
    }
    error.textContent = '';
    status.textContent = '';
    confirmBox.hidden = true;
    list.hidden = false;
    clear(list);
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    void Promise.all([api.listMacros(), api.listTeams().catch(() => []), api.listAgents().catch(() => [])])
      .then(([macros, teams, agents]) => {
        clear(list);
        if (!macros.length) list.append(el('li', { className: 'hint' }, t.menuEmpty));
        for (const m of macros) {
          const b = el('button', { type: 'button', className: 'macro-item', 'data-macro-id': m.id }, el('strong', {}, m.name), el('span', { className: 'hint' }, macroSummary(m, teams, agents)));
          b.addEventListener('click', () => confirm(m));
          list.append(el('li', {}, b));
        }
        (list.querySelector('button') as HTMLButtonElement | null)?.focus();
      })
      .catch((e: unknown) => (error.textContent = why(e)));
  });
  return { button, panel: el('div', { className: 'macro-wrap' }, panel, status) };
}
