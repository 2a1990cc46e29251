// Pieces the settings screens share: an API error as one line, and a data table that fills itself
// from a list call and shows its empty state.

import { ApiError } from '../shared/http';
import { clear, el } from '../shared/dom';
import { common } from '../shared/strings';
import { newKey } from './api';

/** "code: message (field)" for a refusal the server explained; network and other errors in words. */
export function apiErrorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return common.networkError;
    const text = e.code && !e.code.startsWith('http_') ? `${e.code}: ${e.message}` : e.message;
    return e.field ? `${text} (${e.field})` : text;
  }
  return common.genericError;
}

/** A button that copies `value` (a webhook URL, a secret) and says so for a moment. */
export function copyButton(value: string, ariaLabel: string, text: { copy: string; copied: string }): HTMLButtonElement {
  const b = el('button', { type: 'button', className: 'btn btn-quiet btn-small', 'aria-label': ariaLabel }, text.copy);
  b.addEventListener('click', () => {
    void navigator.clipboard
      ?.writeText(value)
      .then(() => {
        b.textContent = text.copied;
        setTimeout(() => (b.textContent = text.copy), 1500);
      })
      .catch(() => undefined);
  });
  return b;
}

/** A polite status line; `say(text, true)` marks it as an error. */
export function statusLine(className: string): { element: HTMLParagraphElement; say: (text: string, bad?: boolean) => void } {
  const element = el('p', { className, role: 'status', 'aria-live': 'polite' });
  return {
    element,
    say: (text, bad = false) => {
      element.textContent = text;
      element.classList.toggle('is-error', bad);
    },
  };
}

/** The explicit "are you sure" step of a money action: its question, Confirm and Cancel (hidden at first). */
export function confirmStep(className: string, labels: { confirm: string; cancel: string }): {
  box: HTMLElement;
  text: HTMLElement;
  confirm: HTMLButtonElement;
  back: HTMLButtonElement;
} {
  const text = el('p', { className: 'confirm-text' });
  const confirm = el('button', { type: 'button', className: 'btn btn-danger btn-small confirm-button' }, labels.confirm);
  const back = el('button', { type: 'button', className: 'btn btn-quiet btn-small' }, labels.cancel);
  const box = el(
    'div',
    { className: `refund-confirm ${className}`, role: 'alertdialog', 'aria-label': labels.confirm, hidden: true },
    text,
    el('div', { className: 'refund-actions' }, confirm, back),
  );
  return { box, text, confirm, back };
}

export interface FieldSpec {
  name: string;
  secret?: boolean;
  optional?: boolean;
}

/**
 * The settings inputs of the type chosen in `type` (a channel's, a payment provider's): one labelled
 * input per field (secrets as password inputs), rebuilt when the type changes. `collect` returns the
 * values typed, or null after calling `missing` for the first required one left empty.
 */
export function typedFields(
  specs: Record<string, FieldSpec[]>,
  type: HTMLSelectElement,
  idPrefix: string,
  optionalText: string,
  extra: (type: string) => Node | null = () => null,
): {
  element: HTMLElement;
  sync: () => void;
  collect: (missing: (name: string, input: HTMLInputElement) => void) => Record<string, string> | null;
  input: (name: string) => HTMLInputElement | undefined;
} {
  const element = el('div', { className: 'settings-fields' });
  const inputs = new Map<string, HTMLInputElement>();
  const sync = (): void => {
    clear(element);
    inputs.clear();
    for (const f of specs[type.value] ?? []) {
      const id = `${idPrefix}${f.name}`;
      const input = el('input', { id, name: f.name, type: f.secret ? 'password' : 'text', autocomplete: 'off', required: !f.optional });
      inputs.set(f.name, input);
      element.append(el('div', { className: 'field' }, el('label', { for: id }, f.name + (f.optional ? ` ${optionalText}` : '')), input));
    }
    const more = extra(type.value);
    if (more) element.append(more);
  };
  type.addEventListener('change', sync);
  sync();
  return {
    element,
    sync,
    collect: (missing) => {
      const out: Record<string, string> = {};
      for (const f of specs[type.value] ?? []) {
        const input = inputs.get(f.name);
        const v = input?.value.trim() ?? '';
        if (!v && !f.optional && input) {
          missing(f.name, input);
          return null;
        }
        if (v) out[f.name] = v;
      }
      return out;
    },
    input: (name) => inputs.get(name),
  };
}

export interface DataTable<T> {
  /** The table and its "nothing yet" line, to append where the screen wants them. */
  nodes: HTMLElement[];
  /** Replaces the rows with what `list` answers; a failure goes to `onError`. */
  load(list: () => Promise<T[]>, onError: (e: unknown) => void): Promise<void>;
}

export function dataTable<T>(opts: {
  id: string;
  caption: string;
  headings: string[];
  empty: string;
  row: (item: T) => HTMLTableRowElement;
}): DataTable<T> {
  const tbody = el('tbody');
  const empty = el('p', { className: 'hint', hidden: true }, opts.empty);
  const table = el(
    'table',
    { className: 'data-table', id: opts.id },
    el('caption', { className: 'sr-only' }, opts.caption),
    el('thead', {}, el('tr', {}, ...opts.headings.map((h) => el('th', { scope: 'col' }, h)))),
    tbody,
  );
  return {
    nodes: [table, empty],
    load: async (list, onError) => {
      try {
        const items = await list();
        clear(tbody);
        for (const item of items) tbody.append(opts.row(item));
        empty.hidden = items.length > 0;
      } catch (e) {
        onError(e);
      }
    },
  };
}

export interface ReviewedForm {
  form: HTMLFormElement;
  /** The "are you sure" step shown after a successful review. */
  confirmBox: HTMLElement;
  /** Hides the form and the confirmation; the open button shows again when `canOpen` allows. */
  close: () => void;
  /** Whether the form or its confirmation is showing. */
  isOpen: () => boolean;
}

/**
 * A money action in three steps: `open` shows the form (`onOpen` fills it and names what gets the
 * focus), Review checks it (`review`: the request and the question to confirm, or what is wrong
 * and where), Confirm sends it once with its own Idempotency-Key (`send` says what happened).
 * Refunds, store credit and payouts use it.
 */
export function reviewedForm<R>(opts: {
  open: HTMLButtonElement;
  className: string;
  confirmClass: string;
  fields: Node[];
  labels: { review: string; cancel: string; confirm: string; failed: string };
  say: (text: string, bad?: boolean) => void;
  onOpen: () => HTMLElement;
  review: () => { request: R; question: string } | { error: string; focus: HTMLElement };
  send: (request: R, key: string) => Promise<unknown>;
  canOpen?: () => boolean;
}): ReviewedForm {
  const { open, say, labels } = opts;
  const canOpen = opts.canOpen ?? (() => true);
  const review = el('button', { type: 'submit', className: 'btn btn-primary btn-small' }, labels.review);
  const cancel = el('button', { type: 'button', className: 'btn btn-quiet btn-small' }, labels.cancel);
  const form = el('form', { className: opts.className, hidden: true, novalidate: true }, ...opts.fields, el('div', { className: 'refund-actions' }, review, cancel));
  const { box: confirmBox, text: question, confirm, back } = confirmStep(opts.confirmClass, labels);
  let pending: { request: R; key: string } | null = null;
  let focusFirst: HTMLElement | null = null;
  const close = (): void => {
    form.hidden = true;
    confirmBox.hidden = true;
    pending = null;
    open.hidden = !canOpen();
  };
  open.addEventListener('click', () => {
    if (!canOpen()) return;
    say('');
    focusFirst = opts.onOpen();
    open.hidden = true;
    form.hidden = false;
    focusFirst.focus();
  });
  cancel.addEventListener('click', () => {
    close();
    open.focus();
  });
  back.addEventListener('click', () => {
    confirmBox.hidden = true;
    pending = null;
    form.hidden = false;
    focusFirst?.focus();
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const r = opts.review();
    if ('error' in r) {
      say(r.error, true);
      r.focus.focus();
      return;
    }
    say('');
    // One key per reviewed request: a double click or a retry after a lost answer acts once.
    pending = { request: r.request, key: newKey() };
    question.textContent = r.question;
    form.hidden = true;
    confirmBox.hidden = false;
    confirm.focus();
  });
  confirm.addEventListener('click', () => {
    if (!pending) return;
    const { request, key } = pending;
    confirm.disabled = back.disabled = true;
    opts
      .send(request, key)
      .then(() => close())
      .catch((e: unknown) => say(`${labels.failed} ${apiErrorText(e)}`, true))
      .finally(() => (confirm.disabled = back.disabled = false));
  });
  return { form, confirmBox, close, isOpen: () => !form.hidden || !confirmBox.hidden };
}

/**
 * The "add one" form of a typed thing (a channel, a payment provider): type select, name, the
 * type's settings (typedFields), the error line, submit and a result area. `create` sends it;
 * `onCreated` shows the result (the webhook URL to paste) and may reload the list. A refusal naming
 * `settings.<key>` focuses that input.
 */
export function typedCreateForm<T>(opts: {
  idPrefix: string;
  formId?: string;
  heading: string;
  specs: Record<string, FieldSpec[]>;
  fieldPrefix: string;
  labels: { type: string; name: string; optional: string; submit: string; required: (what: string) => string };
  extra?: (type: string) => Node | null;
  errorText: (e: unknown) => string;
  create: (type: string, name: string, settings: Record<string, string>) => Promise<T>;
  onCreated: (created: T, result: HTMLElement) => void | Promise<void>;
}): HTMLFormElement {
  const { idPrefix, labels } = opts;
  const type = el('select', { id: `${idPrefix}-type` });
  for (const k of Object.keys(opts.specs)) type.append(el('option', { value: k }, k));
  const name = el('input', { id: `${idPrefix}-name`, required: true, maxlength: 100, autocomplete: 'off' });
  const settingsFields = typedFields(opts.specs, type, opts.fieldPrefix, labels.optional, opts.extra);
  const error = el('p', { className: 'form-error', role: 'alert', id: `${idPrefix}-error` });
  const result = el('div', { className: 'result', role: 'status' });
  const submit = el('button', { type: 'submit', className: 'btn btn-primary' }, labels.submit);
  const headingId = `${idPrefix}-heading`;
  const form = el(
    'form',
    { className: 'settings-form', id: opts.formId ?? null, 'aria-labelledby': headingId, novalidate: true },
    el('h2', { id: headingId }, opts.heading),
    el('div', { className: 'field' }, el('label', { for: type.id }, labels.type), type),
    el('div', { className: 'field' }, el('label', { for: name.id }, labels.name), name),
    settingsFields.element,
    error,
    submit,
    result,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    error.textContent = '';
    clear(result);
    if (!name.value.trim()) {
      error.textContent = labels.required(labels.name);
      name.focus();
      return;
    }
    const settings = settingsFields.collect((k, input) => {
      error.textContent = labels.required(k);
      input.focus();
    });
    if (!settings) return;
    submit.disabled = true;
    opts
      .create(type.value, name.value.trim(), settings)
      .then(async (created) => {
        form.reset();
        settingsFields.sync();
        await opts.onCreated(created, result);
      })
      .catch((e: unknown) => {
        error.textContent = opts.errorText(e);
        if (e instanceof ApiError && e.field) settingsFields.input(e.field.replace(/^settings\./, ''))?.focus();
      })
      .finally(() => (submit.disabled = false));
  });
  return form;
}
