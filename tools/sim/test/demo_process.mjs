// Starts `make demo`'s launcher (scripts/demo.mjs: the provider simulator beside the real `bottega
// demo`) on free ports for a test, and reads what it prints. Used by tools/sim/test/demo.test.mjs
// and web/tests/phone.test.mjs. BOTTEGA_BIN: the binary (default build/bottega of this checkout).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BOTTEGA_BIN = process.env.BOTTEGA_BIN || path.join(root, 'build/bottega');
const LAUNCHER = path.join(root, 'scripts/demo.mjs');

/** A fresh data directory (removed by `removeDataDir`, unless BOTTEGA_KEEP is set). */
export function newDataDir() {
  return mkdtempSync(path.join(tmpdir(), 'bottega-demo-test-'));
}

export function removeDataDir(dir) {
  if (process.env.BOTTEGA_KEEP) console.log(`# kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

/**
 * Runs the launcher as `make demo` does (here on port 0 for Bottega, `simPort` (default 0) for the
 * simulator) and resolves once the demo has printed its URLs and the phone page lists its channels:
 * {bottega, sim, phone, token, agents, output(), exited, stop()}. stop() sends SIGINT (a Ctrl-C)
 * and resolves to the exit code.
 */
export async function startDemo(dataDir, { timeoutMs = 60_000, simPort = 0 } = {}) {
  const child = spawn(process.execPath, [LAUNCHER, '--bottega', BOTTEGA_BIN, '--port', '0', '--sim-port', String(simPort), '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const output = () => `stdout:\n${out}\nstderr:\n${err}`;
  const deadline = Date.now() + timeoutMs;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(t);
    return code;
  };
  let m;
  while (!(m = out.match(/Agent console:\s+(\S+?)\/?\n/)) || !/Press Ctrl-C/.test(out)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the demo exited early\n${output()}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the demo did not print its URLs in time\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const bottega = m[1];
  const phone = out.match(/Customer phone:\s+(\S+)/)?.[1];
  const token = out.match(/API token:\s+(\S+)/)?.[1];
  const agents = [...out.matchAll(/Agent login:\s+(\S+) \/ (\S+) \((\w+)\)/g)].map((a) => ({ email: a[1], password: a[2], role: a[3] }));
  if (!phone || !token) {
    await stop();
    throw new Error(`the demo did not print the phone URL and the API token\n${output()}`);
  }
  const sim = phone.replace(/\/phone$/, '');
  // The launcher sets the phone up right after the demo prints its URLs: wait for it.
  for (;;) {
    const r = await fetch(`${sim}/__sim/phone/channels`).then((x) => x.json()).catch(() => ({ channels: [] }));
    if (r.channels.length) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the phone got no channels\n${output()}`);
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  return { bottega, sim, phone, token, agents, child, output, exited, stop };
}

/** A port that was free a moment ago on 127.0.0.1 (other than `not`). */
export async function freePort(not) {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const srv = net.createServer();
      srv.on('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port: p } = srv.address();
        srv.close(() => resolve(p));
      });
    });
    if (port !== not) return port;
  }
}

/** JSON over HTTP: resolves to {status, body}. */
export async function call(method, url, body, headers = {}) {
  const r = await fetch(url, {
    method,
    headers: { ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status, body: json ?? text, headers: r.headers };
}

/** Polls `fn` (async) until it returns something truthy, which it resolves to; fails after `ms`. */
export async function eventually(what, fn, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Long-polls the phone's conversation until `pred(message)` holds for one of its messages; returns
 * that message. Fails after `ms` with everything the phone has seen.
 */
export async function waitForPhone(sim, channel, customer, pred, ms = 30_000) {
  const deadline = Date.now() + ms;
  const seen = [];
  let since = 0;
  while (Date.now() < deadline) {
    const wait = Math.max(1, Math.min(5_000, deadline - Date.now()));
    const q = new URLSearchParams({ channel, customer, since: String(since), wait: String(wait) });
    const r = await call('GET', `${sim}/__sim/phone/messages?${q}`);
    if (r.status !== 200) throw new Error(`phone messages: ${r.status} ${JSON.stringify(r.body)}`);
    for (const m of r.body.messages) {
      since = Math.max(since, m.seq, m.updated ?? 0);
      seen.push(m);
      if (pred(m)) return m;
    }
  }
  throw new Error(`not on the phone within ${ms} ms; it saw: ${JSON.stringify(seen, null, 1)}`);
}
