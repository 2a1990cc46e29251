// The thread's Snooze menu (POST /api/v1/conversations/{id}/snooze, docs/service.md#snooze): until
// the customer writes, in an hour, tomorrow at 09:00, next Monday at 09:00 (the agent's clock), or
// a chosen time. The conversation comes back by itself at that time; the header says until when.

import { el } from '../shared/dom';
import { lang, type Lang } from '../shared/strings';

const textByLang = {
  en: {
    untilReply: 'Until the customer writes',
    hour: 'For an hour',
    tomorrow: 'Until tomorrow, 09:00',
    monday: 'Until Monday, 09:00',
    custom: 'Until…',
    pick: 'Snooze until',
    apply: 'Snooze',
    badTime: 'Choose a time in the future.',
    chip: (when: string): string => `Snoozed until ${when}`,
  },
  it: {
    untilReply: 'Finché il cliente scrive',
    hour: 'Per un’ora',
    tomorrow: 'Fino a domani, 09:00',
    monday: 'Fino a lunedì, 09:00',
    custom: 'Fino a…',
    pick: 'Posticipa fino a',
    apply: 'Posticipa',
    badTime: 'Scegli un momento nel futuro.',
    chip: (when: string): string => `Posticipata fino a ${when}`,
  },
  de: {
    untilReply: 'Bis der Kunde schreibt',
    hour: 'Für eine Stunde',
    tomorrow: 'Bis morgen, 09:00',
    monday: 'Bis Montag, 09:00',
    custom: 'Bis…',
    pick: 'Zurückstellen bis',
    apply: 'Zurückstellen',
    badTime: 'Wähle einen Zeitpunkt in der Zukunft.',
    chip: (when: string): string => `Zurückgestellt bis ${when}`,
  },
  nl: {
    untilReply: 'Tot de klant schrijft',
    hour: 'Een uur',
    tomorrow: 'Tot morgen, 09:00',
    monday: 'Tot maandag, 09:00',
    custom: 'Tot…',
    pick: 'Sluimeren tot',
    apply: 'Sluimeren',
    badTime: 'Kies een moment in de toekomst.',
    chip: (when: string): string => `Gesluimerd tot ${when}`,
  },
} satisfies Record<Lang, unknown>;

const t = textByLang[lang];

/** 09:00 on the next day (days = 1) or on the next Monday (monday), in the browser's time zone. */
export function nineOClock(now: Date, which: 'tomorrow' | 'monday'): Date {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate(), 9, 0, 0, 0);
  if (which === 'tomorrow') d.setDate(d.getDate() + 1);
  else d.setDate(d.getDate() + (((8 - d.getDay()) % 7) || 7));
  return d;
}

/** "Mon 24 Nov, 09:00" in the console's language. */
export function snoozeChipText(iso: string): string {
  const d = new Date(iso);
  const when = d.toLocaleString(lang, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  return t.chip(when);
}

/**
 * The menu under `button`. `pick(until)` snoozes: an ISO time, or null for "until the customer
 * writes"; it reports failures itself.
 */
export function snoozeMenu(button: HTMLButtonElement, pick: (until: string | null) => Promise<void>): HTMLElement {
  const menu = el('div', { className: 'snooze-menu', id: 'snooze-menu', role: 'menu', hidden: true });
  button.setAttribute('aria-haspopup', 'menu');
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', 'snooze-menu');
  const close = (focus = true): void => {
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    if (focus) button.focus();
  };
  const choose = (until: Date | null): void => {
    close();
    void pick(until ? until.toISOString() : null);
  };
  const item = (label: string, id: string, fn: () => void): HTMLButtonElement => {
    const b = el('button', { type: 'button', role: 'menuitem', className: 'btn btn-quiet btn-small', 'data-snooze': id }, label);
    b.addEventListener('click', fn);
    return b;
  };
  const input = el('input', { type: 'datetime-local', id: 'snooze-until', step: '60' });
  const apply = el('button', { type: 'button', className: 'btn btn-secondary btn-small', id: 'snooze-apply' }, t.apply);
  const error = el('p', { className: 'form-error', role: 'alert' });
  const custom = el(
    'div',
    { className: 'snooze-custom', hidden: true },
    el('label', { for: 'snooze-until' }, t.pick),
    input,
    apply,
    error,
  );
  apply.addEventListener('click', () => {
    const at = input.value ? new Date(input.value) : null; // datetime-local: the browser's zone
    if (!at || Number.isNaN(at.getTime()) || at.getTime() <= Date.now()) {
      error.textContent = t.badTime;
      input.focus();
      return;
    }
    choose(at);
  });
  menu.append(
    item(t.untilReply, 'reply', () => choose(null)),
    item(t.hour, 'hour', () => choose(new Date(Date.now() + 3600_000))),
    item(t.tomorrow, 'tomorrow', () => choose(nineOClock(new Date(), 'tomorrow'))),
    item(t.monday, 'monday', () => choose(nineOClock(new Date(), 'monday'))),
    item(t.custom, 'custom', () => {
      custom.hidden = false;
      error.textContent = '';
      input.focus();
    }),
    custom,
  );
  menu.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.stopPropagation();
      close();
    }
  });
  button.addEventListener('click', () => {
    if (!menu.hidden) return close();
    menu.hidden = false;
    custom.hidden = true;
    button.setAttribute('aria-expanded', 'true');
    menu.querySelector<HTMLButtonElement>('[role=menuitem]')?.focus();
  });
  return menu;
}
