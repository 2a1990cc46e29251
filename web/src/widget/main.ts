// The embeddable chat widget: one script tag,
//   <script src="https://shop.example/widget.js" data-channel="ch_..." async></script>
// The API origin is the origin of this script's own src. Everything renders inside a Shadow DOM.

import widgetCss from './widget.css?inline';
import { VisitorClient } from '../chat/client';
import { ChatPanel } from '../chat/panel';
import { el } from '../shared/dom';
import { chat as t } from '../shared/strings';

declare global {
  interface Window {
    __bottegaWidgetLoaded?: boolean;
  }
}

// Must be read synchronously while the script runs (it is null in callbacks).
const script = (document.currentScript as HTMLScriptElement | null) ??
  document.querySelector<HTMLScriptElement>('script[data-channel][src*="widget.js"]');

function boot(): void {
  if (window.__bottegaWidgetLoaded) return;
  if (!script || !script.src) return;
  const channel = script.dataset.channel;
  if (!channel) {
    console.warn('[bottega] widget.js needs a data-channel attribute');
    return;
  }
  window.__bottegaWidgetLoaded = true;
  const origin = new URL(script.src, location.href).origin;
  const client = new VisitorClient(origin, channel);

  const host = document.createElement('div');
  host.setAttribute('data-bottega-widget', '');
  // Inline style beats page stylesheets: keep the host out of the page's layout and inheritance.
  host.setAttribute('style', 'all: initial; position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;');
  const root = host.attachShadow({ mode: 'open' });

  let open = false;
  const badge = el('span', { className: 'badge', hidden: true });
  const launcher = el('button', {
    type: 'button',
    className: 'launcher',
    'aria-expanded': 'false',
    'aria-controls': 'bt-panel',
    'aria-label': t.openChat,
    title: t.openChat,
  });
  // Static icon markup (no message content), built with DOM calls.
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(svgNs, 'path');
  path.setAttribute('d', 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z');
  svg.appendChild(path);
  launcher.append(svg, badge);

  const panel = new ChatPanel({
    client,
    mode: 'widget',
    onClose: () => setOpen(false, true),
    onIncoming: () => {
      if (!open) badge.hidden = false;
    },
  });
  panel.element.id = 'bt-panel';
  panel.element.hidden = true;
  panel.element.setAttribute('role', 'dialog');
  panel.element.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') setOpen(false, true);
  });

  function setOpen(next: boolean, returnFocus: boolean): void {
    open = next;
    panel.element.hidden = !next;
    launcher.setAttribute('aria-expanded', String(next));
    launcher.setAttribute('aria-label', next ? t.closeChat : t.openChat);
    launcher.title = next ? t.closeChat : t.openChat;
    if (next) {
      badge.hidden = true;
      panel.start();
      panel.focusInput();
    } else if (returnFocus) {
      launcher.focus();
    }
  }
  launcher.addEventListener('click', () => setOpen(!open, false));

  panel.mount(root, widgetCss);
  const wrap = el('div', { className: 'wrap' }, panel.element, launcher);
  root.appendChild(wrap);
  document.body.appendChild(host);

  // A returning visitor: connect now so replies show up as a badge while the panel is closed.
  if (client.token) panel.start();
}

if (document.body) boot();
else document.addEventListener('DOMContentLoaded', boot, { once: true });
