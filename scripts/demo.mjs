#!/usr/bin/env node
// `make demo`: the provider simulator (tools/sim/sim.mjs) and `bottega demo` side by side, so a user
// can try WhatsApp, Telegram, Messenger and Instagram conversations without an account. The simulator starts
// first (its URL is passed as `--simulator-url`, so the demo shop's provider channels send through
// it), then the demo; once the demo listens, the simulator's customer phone page gets the channels'
// webhook URLs and secrets (from DATA_DIR/demo.json). Ctrl-C (or SIGTERM) stops both: the demo
// first (it finishes in-flight sends through the simulator), then the simulator.
//
//   node scripts/demo.mjs [--bottega build/bottega] [--port 8080] [--sim-port 8090]
//                         [--data-dir bottega-demo] [--sim-log]
// PORT and SIM_PORT in the environment are the defaults of --port and --sim-port (0 = any free
// port; the printed URLs say which).

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startSim } from '../tools/sim/sim.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function usage() {
  return 'usage: node scripts/demo.mjs [--bottega PATH] [--port N] [--sim-port N] [--data-dir DIR] [--sim-log]';
}

function parseArgs(argv) {
  const o = {
    bottega: path.join(root, 'build/bottega'),
    port: process.env.PORT || '8080',
    simPort: process.env.SIM_PORT || '8090',
    dataDir: 'bottega-demo',
    simLog: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value\n${usage()}`);
      return argv[++i];
    };
    if (a === '--bottega') o.bottega = val();
    else if (a === '--port') o.port = val();
    else if (a === '--sim-port') o.simPort = val();
    else if (a === '--data-dir') o.dataDir = val();
    else if (a === '--sim-log') o.simLog = true;
    else if (a === '--help' || a === '-h') {
      console.log(usage());
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${usage()}`);
  }
  for (const [k, v] of [['--port (PORT)', o.port], ['--sim-port (SIM_PORT)', o.simPort]]) {
    if (!/^\d+$/.test(String(v)) || Number(v) > 65535) throw new Error(`${k} must be a port number 0..65535, not ${v}`);
  }
  o.port = Number(o.port);
  o.simPort = Number(o.simPort);
  return o;
}

/** The phone's channels from the demo's demo.json: [{type, name, webhook_url, settings}]. */
export function phoneChannels(dataDir, bottegaUrl) {
  const creds = JSON.parse(readFileSync(path.join(dataDir, 'demo.json'), 'utf8'));
  const channels = creds.simulator?.channels;
  if (!Array.isArray(channels)) throw new Error(`${dataDir}/demo.json has no simulator channels`);
  return channels.map((c) => ({ type: c.type, name: c.name, webhook_url: `${bottegaUrl}/webhooks/${c.channel_id}`, settings: c.settings }));
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  let sim;
  try {
    sim = await startSim({
      port: o.simPort,
      host: '127.0.0.1',
      log: o.simLog ? (line) => console.error(`[sim] ${new Date().toISOString()} ${line}`) : () => {},
    });
  } catch (e) {
    const taken = e.code === 'EADDRINUSE' ? ` (port ${o.simPort} is taken: SIM_PORT=0 or another port)` : '';
    console.error(`demo: the provider simulator did not start: ${e.message}${taken}`);
    process.exit(1);
  }

  const child = spawn(o.bottega, ['demo', '--port', String(o.port), '--data-dir', o.dataDir, '--simulator-url', sim.url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, stop);
  process.on('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  // Bottega's lines go through unchanged; the console URL tells where its webhooks are.
  let buffered = '';
  let configured = false;
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    if (configured) return;
    buffered += chunk.toString('utf8');
    const m = buffered.match(/Agent console:\s+(http:\/\/[^\s]+?)\/?\s*$/m);
    if (!m) return;
    configured = true;
    buffered = '';
    try {
      sim.sim.phone.setup({ channels: phoneChannels(o.dataDir, m[1]) });
    } catch (e) {
      console.error(`demo: the customer phone could not be set up: ${e.message}`);
      stop();
    }
  });
  child.on('error', (e) => {
    console.error(`demo: cannot run ${o.bottega}: ${e.message} (build it first: make build)`);
    sim.close().then(() => process.exit(1));
  });
  child.on('exit', (code, signal) => {
    sim.close().then(() => process.exit(stopping ? 0 : code ?? (signal ? 1 : 0)));
  });
}

if (process.argv[1] && import.meta.url === `file://${path.resolve(process.argv[1])}`) {
  main().catch((e) => {
    console.error(`demo: ${e.message ?? e}`);
    process.exit(2);
  });
}
