// Starts the real Bottega binary for a test: config on a free port, migrate, tenant, agent, serve,
// wait for /healthz, create a webchat channel.
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { distDir, outDir, repoRoot } from './env.mjs';

export const bottegaBin = process.env.BOTTEGA_BIN ?? resolve(repoRoot, 'build/bottega');

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

function run(args, timeoutMs = 30_000) {
  return new Promise((res, rej) => {
    execFile(bottegaBin, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) {
        rej(new Error(`bottega ${args.join(' ')} failed: ${err.message}\nstdout: ${stdout}\nstderr: ${stderr}`));
      } else {
        res({ stdout, stderr });
      }
    });
  });
}

function lastJsonObject(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('{'));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return JSON.parse(lines[i]);
    } catch {
      // keep looking
    }
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`expected a JSON object on stdout, got: ${text}`);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function assertBinary() {
  try {
    accessSync(bottegaBin, constants.X_OK);
  } catch {
    throw new Error(`Bottega binary not found at ${bottegaBin}: build it (make) or set BOTTEGA_BIN`);
  }
}

/**
 * @param {string} label used for the log file name in tests/out/
 * @param {{config?: string[]}} [opts] `config`: more TOML lines (e.g. an `[outbound]` section)
 * @returns {Promise<{origin:string, port:number, apiToken:string, tenantId:string, channelId:string,
 *   agent:{email:string,password:string}, api:(path:string, init?:RequestInit)=>Promise<any>,
 *   logPath:string, stop:()=>Promise<void>}>}
 */
export async function startBottega(label, opts = {}) {
  assertBinary();
  const dir = mkdtempSync(join(tmpdir(), `bottega-web-${label}-`));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const config = join(dir, 'bottega.toml');
  writeFileSync(
    config,
    [
      '[server]',
      `listen = "127.0.0.1:${port}"`,
      `public_url = "${origin}"`,
      `web_root = "${distDir}"`,
      '[store]',
      `url = "sqlite://${join(dir, 'bottega.db')}"`,
      ...(opts.config ?? []),
      '',
    ].join('\n'),
  );

  await run(['migrate', '--config', config]);
  const tenant = lastJsonObject((await run(['admin', 'create-tenant', '--config', config, '--name', 'Demo shop'])).stdout);
  if (!tenant.tenant_id || !tenant.api_token) throw new Error(`create-tenant answered ${JSON.stringify(tenant)}`);
  const agent = { email: 'agent@demo.test', password: 'correct horse battery staple' };
  await run([
    'admin', 'create-agent', '--config', config, '--tenant', tenant.tenant_id,
    '--email', agent.email, '--password', agent.password, '--role', 'admin',
  ]);

  const logPath = join(outDir, `server-${label}.log`);
  const log = createWriteStream(logPath);
  const child = spawn(bottegaBin, ['serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`bottega serve exited early (${JSON.stringify(exited)}); log: ${logPath}`);
    try {
      const res = await fetch(`${origin}/healthz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`bottega serve did not answer /healthz within 30 s; log: ${logPath}`);
    }
    await sleep(100);
  }

  async function api(path, init = {}) {
    let res;
    try {
      res = await fetch(origin + path, {
        ...init,
        headers: {
          Authorization: `Bearer ${tenant.api_token}`,
          'Content-Type': 'application/json',
          ...(init.headers ?? {}),
        },
      });
    } catch (e) {
      await sleep(200); // let an exit be noticed
      const tail = readFileSync(logPath, 'utf8').split('\n').slice(-15).join('\n');
      throw new Error(
        `${init.method ?? 'GET'} ${path} failed: ${e.cause?.message ?? e.message}` +
          (exited ? `; bottega serve exited (${JSON.stringify(exited)})` : '') +
          `\n--- ${logPath} (tail) ---\n${tail}`,
      );
    }
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} -> ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  let channelId;
  try {
    const channel = await api('/api/v1/channels', {
      method: 'POST',
      body: JSON.stringify({ type: 'webchat', name: 'Demo shop', settings: {} }),
    });
    channelId = channel.id;
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }

  async function stop() {
    if (!exited) {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    }
    log.end();
    rmSync(dir, { recursive: true, force: true });
  }

  return { origin, port, apiToken: tenant.api_token, tenantId: tenant.tenant_id, channelId, agent, api, logPath, stop };
}
