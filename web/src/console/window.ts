// The composer's messaging window (docs/channels.md#messaging-windows): what the channel allows
// now, from the conversation's `window`. WhatsApp outside its 24 hours (and WeChat outside its 48,
// when the channel has template messages): free text is off and the template picker offers the
// channel's configured templates with one field per parameter (WeChat: labelled with the
// template's data key; the server refuses anything else with 409 window_closed). Messenger/Instagram after 24 hours: a
// person's reply goes with the HUMAN_AGENT tag, up to 7 days; after that nothing. Internal notes
// are always possible. Parameters and previews are text.

import { ApiError } from '../shared/http';
import { clear, el } from '../shared/dom';
import { lang, type Lang } from '../shared/strings';
import { fullTime } from '../shared/time';
import type { ConversationWindow, MessageTemplate } from '../shared/types';

const textByLang = {
  en: {
    openUntil: (channel: string, when: string): string => `${channel} window open until ${when}: free-form replies are fine.`,
    closedTemplates: 'The customer wrote more than 24 hours ago: WhatsApp allows only an approved template now.',
    wechatTemplates: 'The customer last wrote more than 48 hours ago (or only followed the account): WeChat accepts only a template message now.',
    closedNoTemplates:
      'The customer wrote more than 24 hours ago: WhatsApp allows only an approved template now, and this channel has none configured (channel settings, "templates").',
    humanAgent: (channel: string, until: string): string =>
      `The customer wrote more than 24 hours ago: your reply goes to ${channel} with the HUMAN_AGENT tag (possible until ${until}).`,
    expired: (channel: string): string => `The customer wrote more than 7 days ago: ${channel} accepts no reply now. Internal notes still work.`,
    wechatClosed: 'The customer last wrote more than 48 hours ago (or only followed the account): WeChat accepts no reply until they write again. Internal notes still work.',
    templateOnly: 'Only a template can be sent now (see below).',
    noReply: 'No reply can be sent now.',
    pickerHeading: 'Send a template',
    template: 'Template',
    option: (name: string, language: string, n: number): string =>
      `${name} (${language}) · ${n === 0 ? 'no parameters' : n === 1 ? '1 parameter' : `${n} parameters`}`,
    parameter: (i: number): string => `Parameter {{${i}}}`,
    preview: 'The conversation shows:',
    send: 'Send template',
    sending: 'Sending…',
    fillAll: 'Fill in every parameter.',
    failed: 'The template was not sent:',
  },
  it: {
    openUntil: (channel: string, when: string): string => `Finestra ${channel} aperta fino a ${when}: puoi rispondere liberamente.`,
    closedTemplates: "Il cliente ha scritto più di 24 ore fa: ora WhatsApp consente solo un modello approvato.",
    wechatTemplates: "Il cliente ha scritto più di 48 ore fa (o ha solo seguito l'account): ora WeChat accetta solo un messaggio modello.",
    closedNoTemplates:
      'Il cliente ha scritto più di 24 ore fa: ora WhatsApp consente solo un modello approvato, e questo canale non ne ha configurati (impostazioni del canale, "templates").',
    humanAgent: (channel: string, until: string): string =>
      `Il cliente ha scritto più di 24 ore fa: la risposta va a ${channel} con il tag HUMAN_AGENT (possibile fino a ${until}).`,
    expired: (channel: string): string => `Il cliente ha scritto più di 7 giorni fa: ${channel} non accetta risposte ora. Le note interne funzionano.`,
    wechatClosed: "Il cliente ha scritto più di 48 ore fa (o ha solo seguito l'account): WeChat non accetta risposte finché non scrive di nuovo. Le note interne funzionano.",
    templateOnly: 'Ora si può inviare solo un modello (vedi sotto).',
    noReply: 'Ora non si può inviare nessuna risposta.',
    pickerHeading: 'Invia un modello',
    template: 'Modello',
    option: (name: string, language: string, n: number): string =>
      `${name} (${language}) · ${n === 0 ? 'nessun parametro' : n === 1 ? '1 parametro' : `${n} parametri`}`,
    parameter: (i: number): string => `Parametro {{${i}}}`,
    preview: 'La conversazione mostra:',
    send: 'Invia modello',
    sending: 'Invio…',
    fillAll: 'Compila tutti i parametri.',
    failed: 'Il modello non è stato inviato:',
  },
  de: {
    openUntil: (channel: string, when: string): string => `${channel}-Fenster offen bis ${when}: freie Antworten sind möglich.`,
    closedTemplates: 'Der Kunde hat vor mehr als 24 Stunden geschrieben: WhatsApp erlaubt jetzt nur eine freigegebene Vorlage.',
    wechatTemplates: 'Der Kunde hat vor mehr als 48 Stunden geschrieben (oder folgt nur dem Konto): WeChat nimmt jetzt nur eine Vorlagennachricht an.',
    closedNoTemplates:
      'Der Kunde hat vor mehr als 24 Stunden geschrieben: WhatsApp erlaubt jetzt nur eine freigegebene Vorlage, und dieser Kanal hat keine eingerichtet (Kanaleinstellungen, "templates").',
    humanAgent: (channel: string, until: string): string =>
      `Der Kunde hat vor mehr als 24 Stunden geschrieben: deine Antwort geht mit dem HUMAN_AGENT-Tag an ${channel} (möglich bis ${until}).`,
    expired: (channel: string): string =>
      `Der Kunde hat vor mehr als 7 Tagen geschrieben: ${channel} nimmt jetzt keine Antwort an. Interne Notizen gehen weiterhin.`,
    wechatClosed:
      'Der Kunde hat vor mehr als 48 Stunden geschrieben (oder folgt dem Konto nur): WeChat nimmt keine Antwort an, bis er wieder schreibt. Interne Notizen gehen weiterhin.',
    templateOnly: 'Jetzt kann nur eine Vorlage gesendet werden (siehe unten).',
    noReply: 'Jetzt kann keine Antwort gesendet werden.',
    pickerHeading: 'Vorlage senden',
    template: 'Vorlage',
    option: (name: string, language: string, n: number): string =>
      `${name} (${language}) · ${n === 0 ? 'keine Parameter' : n === 1 ? '1 Parameter' : `${n} Parameter`}`,
    parameter: (i: number): string => `Parameter {{${i}}}`,
    preview: 'Die Unterhaltung zeigt:',
    send: 'Vorlage senden',
    sending: 'Wird gesendet…',
    fillAll: 'Fülle alle Parameter aus.',
    failed: 'Die Vorlage wurde nicht gesendet:',
  },
  nl: {
    openUntil: (channel: string, when: string): string => `${channel}-venster open tot ${when}: vrije antwoorden kunnen.`,
    closedTemplates: 'De klant schreef meer dan 24 uur geleden: WhatsApp staat nu alleen een goedgekeurde template toe.',
    wechatTemplates: 'De klant schreef meer dan 48 uur geleden (of volgde alleen het account): WeChat neemt nu alleen een templatebericht aan.',
    closedNoTemplates:
      'De klant schreef meer dan 24 uur geleden: WhatsApp staat nu alleen een goedgekeurde template toe, en dit kanaal heeft er geen ingesteld (kanaalinstellingen, "templates").',
    humanAgent: (channel: string, until: string): string =>
      `De klant schreef meer dan 24 uur geleden: je antwoord gaat naar ${channel} met de HUMAN_AGENT-tag (mogelijk tot ${until}).`,
    expired: (channel: string): string => `De klant schreef meer dan 7 dagen geleden: ${channel} neemt nu geen antwoord aan. Interne notities werken wel.`,
    wechatClosed: 'De klant schreef meer dan 48 uur geleden (of volgde alleen het account): WeChat neemt geen antwoord aan tot de klant weer schrijft. Interne notities werken wel.',
    templateOnly: 'Nu kan alleen een template verstuurd worden (zie hieronder).',
    noReply: 'Nu kan er geen antwoord verstuurd worden.',
    pickerHeading: 'Template versturen',
    template: 'Template',
    option: (name: string, language: string, n: number): string =>
      `${name} (${language}) · ${n === 0 ? 'geen parameters' : n === 1 ? '1 parameter' : `${n} parameters`}`,
    parameter: (i: number): string => `Parameter {{${i}}}`,
    preview: 'Het gesprek toont:',
    send: 'Template versturen',
    sending: 'Versturen…',
    fillAll: 'Vul elke parameter in.',
    failed: 'De template is niet verstuurd:',
  },
} satisfies Record<Lang, unknown>;

const t = textByLang[lang];

export type WindowMode = 'none' | 'open' | 'closed' | 'human_agent' | 'expired';

/** What the window allows now: `open` (free text), `closed` (WhatsApp: templates only), `human_agent`
 * (Meta: a person's reply, tagged), `expired` (Meta after 7 days: nothing), `none` (no window). */
export function windowMode(w: ConversationWindow | null | undefined): WindowMode {
  if (!w || w.policy === 'none') return 'none';
  if (w.open) return 'open';
  if (w.policy === 'meta') return w.human_agent_open ? 'human_agent' : 'expired';
  // WeChat: only a template message, when the channel has templates; else nothing until the customer writes.
  if (w.policy === 'wechat') return templatesOf(w).length ? 'closed' : 'expired';
  return 'closed';
}

function channelName(policy: string, channelType: string): string {
  if (policy === 'whatsapp') return 'WhatsApp';
  if (policy === 'wechat') return 'WeChat';
  return channelType === 'instagram' ? 'Instagram' : 'Messenger';
}

export interface TemplateSendBody {
  name: string;
  language: string;
  parameters: string[];
}

export interface WindowControl {
  /** The line above the composer (empty and hidden without a window). */
  state: HTMLElement;
  /** The template picker (shown only when WhatsApp's window is closed and the note toggle is off). */
  picker: HTMLElement;
  apply(w: ConversationWindow | null | undefined, channelType: string): void;
  /** Whether free text to the customer is blocked now (notes never are). */
  blocksReplies(): boolean;
  /** Re-evaluates what shows, e.g. after the note toggle changed. */
  sync(): void;
  dispose(): void;
}

export interface WindowDeps {
  textarea: HTMLTextAreaElement;
  sendButton: HTMLButtonElement;
  noteToggle: HTMLInputElement;
  replyPlaceholder: () => string;
  /** Sends the template; resolves when the server accepted it. */
  sendTemplate: (t: TemplateSendBody) => Promise<void>;
  /** The window may have changed (its end passed): fetch the conversation again. */
  refresh: () => void;
  errorText: (e: unknown) => string;
}

const MAX_TIMER_MS = 2_000_000_000;

export function windowControl(deps: WindowDeps): WindowControl {
  const state = el('p', { className: 'window-state', id: 'window-state', role: 'status', hidden: true });
  const select = el('select', { id: 'template-select' });
  const params = el('div', { className: 'template-params' });
  const preview = el('output', { className: 'template-preview', id: 'template-preview', for: 'template-select' });
  const error = el('p', { className: 'form-error', id: 'template-error', role: 'alert' });
  const send = el('button', { type: 'button', className: 'btn btn-primary', id: 'template-send' }, t.send);
  const picker = el(
    'div',
    { className: 'template-picker', id: 'template-picker', role: 'group', 'aria-labelledby': 'template-heading', hidden: true },
    el('h3', { id: 'template-heading', className: 'template-heading' }, t.pickerHeading),
    el('div', { className: 'field' }, el('label', { for: 'template-select' }, t.template), select),
    params,
    el('p', { className: 'template-preview-line' }, el('span', { className: 'template-preview-label' }, `${t.preview} `), preview),
    error,
    el('div', { className: 'template-actions' }, send),
  );

  let mode: WindowMode = 'none';
  let templates: MessageTemplate[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inputs: HTMLInputElement[] = [];

  const current = (): MessageTemplate | undefined => templates[Number(select.value)];
  const values = (): string[] => inputs.map((i) => i.value.trim());
  const renderPreview = (): void => {
    const tpl = current();
    if (!tpl) {
      preview.textContent = '';
      return;
    }
    const v = values();
    preview.textContent = `[template ${tpl.name}]${v.length ? ` ${v.join(', ')}` : ''}`;
  };
  const renderParams = (): void => {
    clear(params);
    const tpl = current();
    inputs = [];
    for (let i = 1; i <= (tpl?.parameters ?? 0); i++) {
      const id = `template-param-${i}`;
      const input = el('input', { id, className: 'template-param', maxlength: 1024, autocomplete: 'off' });
      input.addEventListener('input', () => {
        error.textContent = '';
        renderPreview();
      });
      inputs.push(input);
      const key = tpl?.keys?.[i - 1];
      params.append(el('div', { className: 'field' }, el('label', { for: id }, key ? `${t.parameter(i)} · ${key}` : t.parameter(i)), input));
    }
    renderPreview();
  };
  select.addEventListener('change', () => {
    error.textContent = '';
    renderParams();
  });
  send.addEventListener('click', () => {
    const tpl = current();
    if (!tpl || send.disabled) return;
    const v = values();
    const empty = v.findIndex((x) => x === '');
    if (empty >= 0) {
      error.textContent = t.fillAll;
      inputs[empty]?.focus();
      return;
    }
    error.textContent = '';
    send.disabled = true;
    send.textContent = t.sending;
    deps
      .sendTemplate({ name: tpl.name, language: tpl.language, parameters: v })
      .then(() => {
        for (const i of inputs) i.value = '';
        renderPreview();
      })
      .catch((e: unknown) => {
        error.textContent = `${t.failed} ${e instanceof ApiError && e.field ? `${deps.errorText(e)} (${e.field})` : deps.errorText(e)}`;
      })
      .finally(() => {
        send.disabled = false;
        send.textContent = t.send;
      });
  });

  const blocksReplies = (): boolean => mode === 'closed' || mode === 'expired';

  const sync = (): void => {
    const note = deps.noteToggle.checked;
    const blocked = blocksReplies() && !note;
    deps.textarea.disabled = blocked;
    deps.sendButton.disabled = blocked;
    deps.textarea.placeholder = blocked ? (mode === 'closed' ? t.templateOnly : t.noReply) : deps.replyPlaceholder();
    picker.hidden = !(mode === 'closed' && !note && templates.length > 0);
  };

  const apply = (w: ConversationWindow | null | undefined, channelType: string): void => {
    mode = windowMode(w);
    if (timer) clearTimeout(timer);
    timer = null;
    state.dataset.state = mode;
    state.hidden = mode === 'none';
    const channel = w ? channelName(w.policy, channelType) : '';
    if (mode === 'open') state.textContent = t.openUntil(channel, fullTime(w?.closes_at));
    else if (mode === 'closed' && w?.policy === 'wechat') state.textContent = t.wechatTemplates;
    else if (mode === 'closed') state.textContent = templatesOf(w).length ? t.closedTemplates : t.closedNoTemplates;
    else if (mode === 'human_agent') state.textContent = t.humanAgent(channel, fullTime(w?.human_agent_until));
    else if (mode === 'expired') state.textContent = w?.policy === 'wechat' ? t.wechatClosed : t.expired(channel);
    else state.textContent = '';
    // Same templates as before: keep what the agent typed.
    const next = templatesOf(w);
    const same = next.length === templates.length && next.every((x, i) => x.name === templates[i]?.name && x.language === templates[i]?.language && x.parameters === templates[i]?.parameters);
    if (!same) {
      templates = next;
      clear(select);
      templates.forEach((tpl, i) => select.append(el('option', { value: String(i) }, t.option(tpl.name, tpl.language, tpl.parameters))));
      renderParams();
    }
    // When the window (or the HUMAN_AGENT allowance) ends while the conversation is open, look again.
    const end = mode === 'open' ? w?.closes_at : mode === 'human_agent' ? w?.human_agent_until : null;
    const ms = end ? Date.parse(end) - Date.now() : NaN;
    if (Number.isFinite(ms) && ms > 0 && ms < MAX_TIMER_MS) timer = setTimeout(() => deps.refresh(), ms + 1000);
    sync();
  };

  return {
    state,
    picker,
    apply,
    blocksReplies,
    sync,
    dispose: () => {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

function templatesOf(w: ConversationWindow | null | undefined): MessageTemplate[] {
  return (w?.templates ?? []).filter((x) => typeof x?.name === 'string' && typeof x.language === 'string' && Number.isInteger(x.parameters));
}
