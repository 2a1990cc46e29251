// The visitor chat panel, shared by the hosted chat page and the widget. It renders into a
// ShadowRoot so neither side's styles leak into the other.

import panelCss from './panel.css?inline';
import { ApiError } from '../shared/http';
import { LiveSocket } from '../shared/live-socket';
import { el } from '../shared/dom';
import { chat as t, common } from '../shared/strings';
import { compareIso, fullTime, shortTime } from '../shared/time';
import type { Message } from '../shared/types';
import type { ChoiceReply, ContinueOffer, VisitorClient } from './client';
import { paidPaymentOf, renderCard } from './cards';

export interface PanelOptions {
  client: VisitorClient;
  mode: 'page' | 'widget';
  /** Widget only: the close button was pressed. */
  onClose?: () => void;
  /** A message from the shop arrived (the widget shows a badge while closed). */
  onIncoming?: () => void;
}

let pendingCounter = 0;

export class ChatPanel {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly log: HTMLOListElement;
  private readonly greeting: HTMLLIElement;
  private readonly error: HTMLElement;
  private readonly status: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly continueBar: HTMLElement;
  private offers: ContinueOffer[] = [];
  private readonly messages = new Map<string, Message>();
  private readonly paidPayments = new Set<string>();
  private live: LiveSocket | null = null;
  private started = false;
  private disabled = false;

  constructor(private readonly opts: PanelOptions) {
    this.title = el('h2', { id: 'bt-title', className: 'title' }, t.defaultTitle);
    this.status = el('p', { className: 'status', role: 'status' });
    this.greeting = el('li', { className: 'msg msg-shop greeting' }, el('div', { className: 'bubble' }, t.defaultGreeting));
    this.log = el(
      'ol',
      { className: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': t.conversationLabel, tabindex: 0 },
      this.greeting,
    );
    this.error = el('p', { className: 'error', role: 'alert' });
    this.input = el('textarea', {
      id: 'bt-input',
      rows: 1,
      placeholder: t.inputPlaceholder,
      maxlength: 4000,
      autocomplete: 'off',
    });
    this.sendButton = el('button', { type: 'submit', className: 'send' }, t.send);
    this.continueBar = el('nav', { className: 'continue', 'aria-label': t.continueHeading, hidden: true });

    const form = el(
      'form',
      { className: 'composer' },
      el('label', { for: 'bt-input', className: 'sr-only' }, t.inputLabel),
      this.input,
      this.sendButton,
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.submit();
    });
    this.input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        form.requestSubmit();
      }
    });
    this.input.addEventListener('input', () => this.autosize());

    const head = el('header', { className: 'head' }, el('div', { className: 'head-text' }, this.title, this.status));
    if (opts.mode === 'widget') {
      const close = el('button', { type: 'button', className: 'close', 'aria-label': t.closeChat, title: t.closeChat }, '×');
      close.addEventListener('click', () => opts.onClose?.());
      head.appendChild(close);
    }
    this.element = el(
      'section',
      { className: `panel panel-${opts.mode}`, 'aria-labelledby': 'bt-title' },
      head,
      this.log,
      this.continueBar,
      this.error,
      form,
    );
  }

  /** Mounts the panel (and its styles) into a shadow root. */
  mount(root: ShadowRoot, extraCss = ''): void {
    const style = document.createElement('style');
    style.textContent = panelCss + extraCss;
    root.append(style, this.element);
  }

  focusInput(): void {
    this.input.focus();
  }

  /** Loads the shop config, and the conversation if this browser already has one. Idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.opts.client
      .config()
      .then((cfg) => {
        if (cfg.name) this.title.textContent = cfg.name;
        const bubble = this.greeting.firstElementChild;
        if (bubble && cfg.greeting) bubble.textContent = cfg.greeting;
        this.offers = (cfg.continue_on ?? []).filter(isSafeOffer);
        this.renderContinue();
      })
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) {
          this.showError(t.channelMissing);
          this.disable();
        }
      });
    if (this.opts.client.token) {
      this.connect();
      void this.loadHistory();
    }
  }

  stop(): void {
    this.live?.stop();
    this.live = null;
  }

  private connect(): void {
    if (this.live) return;
    this.live = new LiveSocket({
      url: (cursor) => this.opts.client.socketUrl(cursor),
      onState: (state) => {
        this.status.textContent = state === 'offline' ? t.reconnecting : '';
      },
      onOpen: (resumed) => {
        // No cursor yet means nothing can be replayed: catch up from the history instead.
        if (!resumed) void this.loadHistory();
      },
      onEvent: (ev) => {
        if (ev.type !== 'message.created' && ev.type !== 'message.updated') return;
        const m = ev.data as Message;
        if (!m || !m.id) return;
        const isNew = !this.messages.has(m.id);
        this.upsert(m);
        if (isNew && m.direction === 'out') this.opts.onIncoming?.();
      },
    });
    this.live.start();
  }

  private async loadHistory(): Promise<void> {
    try {
      const list = await this.opts.client.history();
      for (const m of list) this.upsert(m);
      this.scrollToEnd();
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
        // The server does not know this visitor any more: start over on the next send.
        this.opts.client.forgetVisitor();
        this.live?.stop();
        this.live = null;
        return;
      }
      this.showError(e instanceof ApiError && e.status === 429 ? common.rateLimited(e.retryAfter) : t.loadFailed);
    }
  }

  private async submit(): Promise<void> {
    const text = this.input.value.trim();
    if (!text || this.disabled) return;
    this.input.value = '';
    this.autosize();
    await this.send(text, true);
  }

  /** Sends `text` as the visitor: typed, or (`reply`) a choice button, whose title is the text. */
  private async send(text: string, typed: boolean, reply?: ChoiceReply): Promise<void> {
    if (this.disabled) return;
    this.error.textContent = '';
    const pending = this.renderPending(text);
    this.log.appendChild(pending);
    this.scrollToEnd();
    try {
      const hadToken = this.opts.client.token !== null;
      const res = await this.opts.client.send(text, reply);
      if (!hadToken || !this.live) this.connect();
      if (this.messages.has(res.message_id)) {
        pending.remove(); // the live event was faster than the response
      } else {
        pending.dataset.messageId = res.message_id;
        pending.classList.remove('is-pending');
        pending.querySelector('.pending-mark')?.remove();
        this.messages.set(res.message_id, {
          id: res.message_id,
          conversation_id: res.conversation_id,
          direction: 'in',
          author: { kind: 'contact', id: null },
          kind: reply ? 'interactive_reply' : 'text',
          text,
          created_at: new Date().toISOString(),
        });
        this.renderContinue();
      }
    } catch (e) {
      pending.remove();
      if (typed && !this.input.value) {
        this.input.value = text;
        this.autosize();
      }
      if (e instanceof ApiError && e.status === 429) this.showError(common.rateLimited(e.retryAfter));
      else if (e instanceof ApiError && e.status === 0) this.showError(common.networkError);
      else this.showError(t.sendFailed);
    } finally {
      this.input.focus();
    }
  }

  /**
   * Once the visitor has a conversation, offers the shop's other channels (the widget keeps it
   * across pages; these let it leave the site with the visitor). The conversation reference is
   * prefilled so the agent can find the thread.
   */
  private renderContinue(): void {
    const conversation = [...this.messages.values()].find((m) => m.conversation_id)?.conversation_id;
    if (this.offers.length === 0 || !conversation) {
      this.continueBar.hidden = true;
      return;
    }
    const ref = conversation.slice(-8).toUpperCase();
    const links = this.offers.map((o) => {
      let href = o.url;
      if (o.channel === 'whatsapp') href += `?text=${encodeURIComponent(t.continueText(ref))}`;
      else if (o.channel === 'email') href += `?subject=${encodeURIComponent(t.continueSubject(ref))}`;
      const label = o.channel === 'whatsapp' ? 'WhatsApp' : o.channel === 'messenger' ? 'Messenger' : t.continueEmail;
      return el('a', { href, target: '_blank', rel: 'noopener noreferrer', className: `continue-link continue-${o.channel}` }, label);
    });
    this.continueBar.replaceChildren(el('span', { className: 'continue-text' }, t.continueHeading), ...links);
    this.continueBar.hidden = false;
  }

  private showError(text: string): void {
    this.error.textContent = text;
  }

  private disable(): void {
    this.disabled = true;
    this.input.disabled = true;
    this.sendButton.disabled = true;
  }

  private upsert(m: Message): void {
    if (m.kind === 'note') return; // never shown to visitors
    const first = this.messages.size === 0;
    this.messages.set(m.id, m);
    // "Paid" confirms an earlier payment card: show it as paid.
    const paid = paidPaymentOf(m);
    if (paid && !this.paidPayments.has(paid)) {
      this.paidPayments.add(paid);
      for (const other of this.messages.values())
        if (other.kind === 'payment_link' && other.id !== m.id) {
          const node = this.log.querySelector(`[data-message-id="${CSS.escape(other.id)}"]`);
          if (node) node.replaceWith(this.renderMessage(other));
        }
    }
    if (first) this.renderContinue();
    const node = this.renderMessage(m);
    const existing = this.log.querySelector(`[data-message-id="${CSS.escape(m.id)}"]`);
    if (existing) {
      existing.replaceWith(node);
      return;
    }
    // Insert in created_at order, before any still-pending bubbles.
    let before: Element | null = null;
    for (const child of Array.from(this.log.children)) {
      if (child === this.greeting) continue;
      const id = (child as HTMLElement).dataset.messageId;
      if (!id) {
        before = child; // pending
        break;
      }
      const other = this.messages.get(id);
      if (other && compareIso(other.created_at, m.created_at) > 0) {
        before = child;
        break;
      }
    }
    const nearEnd = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 80;
    this.log.insertBefore(node, before);
    if (nearEnd || m.direction === 'in') this.scrollToEnd();
  }

  private renderMessage(m: Message): HTMLLIElement {
    const mine = m.direction === 'in';
    const card = mine ? null : renderCard(m, this.paidPayments, (c) => void this.send(c.title, false, c));
    const bubble = card ?? el('div', { className: 'bubble' });
    if (!card) bubble.textContent = m.text;
    if (!mine && m.kind === 'attachment') bubble.append(this.renderFiles(m));
    return el(
      'li',
      { className: `msg ${mine ? 'msg-me' : 'msg-shop'}`, 'data-message-id': m.id },
      el('span', { className: 'sr-only' }, `${mine ? t.you : t.shop}: `),
      bubble,
      mine ? null : this.renderChoices(m),
      el('time', { className: 'time', datetime: m.created_at, title: fullTime(m.created_at) }, shortTime(m.created_at)),
    );
  }

  /**
   * The files of an agent's message: images inline (alt = the file's name), other files as a
   * download link. The bytes come through the visitor's own route (its token in a header), so
   * each becomes an object URL once loaded; names are text, never markup.
   */
  private renderFiles(m: Message): HTMLElement {
    const list = el('ul', { className: 'files' });
    const atts = Array.isArray(m.content?.attachments) ? (m.content.attachments as unknown[]) : [];
    for (const a of atts) {
      const att = a && typeof a === 'object' ? (a as { media_id?: unknown; filename?: unknown; mime_type?: unknown }) : {};
      if (typeof att.media_id !== 'string' || !/^[A-Za-z0-9_-]{1,100}$/.test(att.media_id)) continue;
      const name = typeof att.filename === 'string' && att.filename ? att.filename : 'file';
      const mime = typeof att.mime_type === 'string' ? att.mime_type.toLowerCase() : '';
      const image = /^image\/(png|jpeg|gif|webp)$/.test(mime);
      const item = el('li', { className: image ? 'file file-image' : 'file' });
      const target = image
        ? el('img', { className: 'file-img', alt: name })
        : el('a', { className: 'file-link', download: name }, t.fileDownload(name));
      item.append(target);
      list.append(item);
      this.opts.client
        .file(att.media_id)
        .then((blob) => {
          const url = URL.createObjectURL(blob);
          if (target instanceof HTMLImageElement) target.src = url;
          else target.href = url;
        })
        .catch(() => item.replaceChildren(el('span', { className: 'file-error' }, t.fileNotLoaded)));
    }
    return list;
  }

  /**
   * The shop's offered answers as buttons: the bot's "Did this help?" Yes / No, a product card's
   * "Add to cart". A tap sends the choice (its id and title) as the visitor's reply.
   */
  private renderChoices(m: Message): HTMLElement | null {
    const list = Array.isArray(m.content?.choices) ? (m.content.choices as unknown[]) : [];
    const choices = list
      .map((c) => (c && typeof c === 'object' ? (c as { id?: unknown; title?: unknown }) : {}))
      .filter((c): c is ChoiceReply => typeof c.id === 'string' && c.id !== '' && typeof c.title === 'string' && c.title.trim() !== '');
    if (choices.length === 0) return null;
    return el(
      'div',
      { className: 'choices', role: 'group' },
      ...choices.map((c) => {
        const b = el('button', { type: 'button', className: `choice${c.id.startsWith('buy:') ? ' choice-buy' : ''}`, 'data-choice-id': c.id }, c.title);
        b.addEventListener('click', () => void this.send(c.title, false, { id: c.id, title: c.title }));
        return b;
      }),
    );
  }

  private renderPending(text: string): HTMLLIElement {
    const bubble = el('div', { className: 'bubble' });
    bubble.textContent = text;
    return el(
      'li',
      { className: 'msg msg-me is-pending', 'data-pending': String(++pendingCounter) },
      el('span', { className: 'sr-only' }, `${t.you}: `),
      bubble,
      el('span', { className: 'time pending-mark' }, t.sending),
    );
  }

  private autosize(): void {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 140)}px`;
  }

  private scrollToEnd(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }
}

/** Only the link shapes the server hands out (defence in depth: never a javascript: URL). */
function isSafeOffer(o: ContinueOffer): boolean {
  if (!o || typeof o.url !== 'string') return false;
  if (o.channel === 'whatsapp') return /^https:\/\/wa\.me\/\d{7,15}$/.test(o.url);
  if (o.channel === 'messenger') return /^https:\/\/m\.me\/[A-Za-z0-9.]{1,50}$/.test(o.url);
  if (o.channel === 'email') return /^mailto:[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+$/.test(o.url);
  return false;
}
