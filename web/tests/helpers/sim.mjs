// The provider simulator (tools/sim/sim.mjs) for browser tests: started on a free port, its control
// API, and signed inbound WhatsApp webhooks built with tools/sim/payloads.mjs.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import * as P from '../../../tools/sim/payloads.mjs';
import { repoRoot } from './env.mjs';

/** Bottega config lines a test needs so its server may fetch from the simulator on loopback. */
export const SIM_CONFIG = ['[outbound]', 'allow_private_networks = true'];

const rand = (n = 6) => randomBytes(n).toString('hex');

export async function startSim() {
  const child = spawn(process.execPath, [resolve(repoRoot, 'tools/sim/sim.mjs'), '--port', '0', '--quiet'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`sim did not start: ${out}`)), 10_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/sim listening on (\d+)/);
      if (m) {
        clearTimeout(timer);
        res(Number(m[1]));
      }
    });
    child.once('exit', (code) => rej(new Error(`sim exited with ${code}: ${out}`)));
  });
  const base = `http://127.0.0.1:${port}`;

  async function call(method, path, body) {
    const r = await fetch(base + path, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`sim ${method} ${path} -> ${r.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  /**
   * A WhatsApp channel on `server` pointed at the simulator, with registered credentials.
   * `extra`: more channel settings (e.g. templates).
   */
  async function whatsappChannel(server, name, extra = {}) {
    const settings = {
      phone_number_id: `1088${randomInt(100000, 999999)}`,
      access_token: `EAAG${rand(16)}`,
      app_secret: rand(16),
      verify_token: `vt-${rand(4)}`,
      api_base_url: `${base}/whatsapp/v21.0`,
      ...extra,
    };
    await call('POST', '/__sim/accounts', { provider: 'whatsapp', phone_number_id: settings.phone_number_id, access_token: settings.access_token });
    const ch = await server.api('/api/v1/channels', { method: 'POST', body: JSON.stringify({ type: 'whatsapp', name, settings }) });
    return { settings, ch };
  }

  /**
   * Delivers one signed inbound WhatsApp message. `message`: the type-specific part, e.g.
   * `{type:'text', text:{body:'Hi'}}`; `at`: the provider's timestamp (ms; default now).
   */
  async function whatsappInbound(wa, { from, name, message, at = Date.now() }) {
    const msg = { from, id: P.newWamid(), timestamp: String(Math.floor(at / 1000)), ...message };
    const payload = P.whatsappEnvelope([
      { changes: [{ value: P.whatsappValue({ messages: [msg], contacts: [{ wa_id: from, name }], phoneNumberId: wa.settings.phone_number_id }) }] },
    ]);
    const d = await call('POST', '/__sim/deliver', { provider: 'whatsapp', url: wa.ch.webhook_url, app_secret: wa.settings.app_secret, payload });
    if (d.status !== 200) throw new Error(`webhook answered ${d.status}: ${d.body}`);
    return msg.id;
  }

  /** A Messenger page channel on `server` pointed at the simulator. */
  async function messengerChannel(server, name) {
    const settings = {
      page_id: String(randomInt(100000000, 999999999)),
      page_access_token: `EAAP${rand(16)}`,
      app_secret: rand(16),
      verify_token: `vt-${rand(4)}`,
      api_base_url: `${base}/messenger/v21.0`,
    };
    await call('POST', '/__sim/accounts', { provider: 'messenger', page_id: settings.page_id, page_access_token: settings.page_access_token });
    const ch = await server.api('/api/v1/channels', { method: 'POST', body: JSON.stringify({ type: 'messenger', name, settings }) });
    return { settings, ch };
  }

  /** Delivers one signed inbound Messenger text from `psid`, sent at `at` (ms; default now). */
  async function messengerInbound(ms, { psid, text, at = Date.now() }) {
    const payload = P.messengerText(psid, ms.settings.page_id, text, P.newMid(), { timestamp: at });
    const d = await call('POST', '/__sim/deliver', { provider: 'messenger', url: ms.ch.webhook_url, app_secret: ms.settings.app_secret, payload });
    if (d.status !== 200) throw new Error(`webhook answered ${d.status}: ${d.body}`);
  }

  /** The requests the simulator recorded for `provider` (the send API calls Bottega made). */
  async function requests(provider) {
    return (await call('GET', `/__sim/requests?provider=${provider}`)).requests;
  }

  async function stop() {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  }

  return { base, call, whatsappChannel, whatsappInbound, messengerChannel, messengerInbound, requests, stop };
}
