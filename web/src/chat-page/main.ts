// Hosted chat page, served at /chat/{channel_id}.

import { VisitorClient } from '../chat/client';
import { ChatPanel } from '../chat/panel';
import { chat as t } from '../shared/strings';

const pageCss = `
:host { display: block; height: 100%; }
.panel { height: 100%; max-width: 44rem; margin: 0 auto; border-left: 1px solid var(--bt-line); border-right: 1px solid var(--bt-line); }
@media (min-width: 720px) {
  :host { padding: 1.5rem; }
  .panel { border: 1px solid var(--bt-line); border-radius: 16px; box-shadow: 0 8px 30px rgba(20, 30, 50, 0.08); }
}
`;

/** `/chat/{channel_id}` (a trailing slash or a query string is fine). */
export function channelFromPath(pathname: string): string | null {
  const m = /^\/chat\/([^/]+)\/?$/.exec(pathname);
  return m && m[1] ? decodeURIComponent(m[1]) : null;
}

const host = document.getElementById('chat') as HTMLElement;
const root = host.attachShadow({ mode: 'open' });
document.title = t.defaultTitle;
const channel = channelFromPath(location.pathname);
const panel = new ChatPanel({
  client: new VisitorClient(location.origin, channel ?? ''),
  mode: 'page',
});
panel.mount(root, pageCss);
if (channel) {
  panel.start();
  panel.focusInput();
} else {
  const err = root.querySelector('.error');
  if (err) err.textContent = t.channelMissing;
}
