// End-to-end harness: a live `bashgah serve` on a free port with a fresh data dir, and Debian's chromium driven by
// playwright-core (from web/node_modules). Each test file runs one flow; screenshots go under BASHGAH_E2E_OUT.
//
// Environment (set by CMake): BASHGAH_BIN, BASHGAH_SRC, BASHGAH_WEB (the built app), BASHGAH_E2E_OUT, CHROMIUM.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const SRC = process.env.BASHGAH_SRC ?? path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const BIN = process.env.BASHGAH_BIN ?? path.join(SRC, 'build', 'bashgah');
const WEB = process.env.BASHGAH_WEB ?? path.join(SRC, 'build', 'web');
const OUT = process.env.BASHGAH_E2E_OUT ?? path.join(SRC, 'build', 'e2e');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const OWNER_PASSWORD = 'e2e-owner-password';

const require = createRequire(path.join(SRC, 'web', 'package.json'));
const { chromium } = require('playwright-core');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts a server (a demo club: an earning rule, tiers, rewards) and waits for /healthz. extraArgs are added to
 *  `bashgah serve`'s (a flow's own settings, e.g. --webhook-allow-private for a receiver on loopback). */
export async function startServer(extraArgs = []) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'bashgah-e2e-'));
  const port = await freePort();
  const log = path.join(root, 'serve.log');
  const { openSync } = await import('node:fs');
  const fd = openSync(log, 'w');
  const proc = spawn(
    BIN,
    ['serve', '--listen', `127.0.0.1:${port}`, '--data', path.join(root, 'data'), '--web', WEB, '--demo', '--access-log', 'off', '--threads', '2', ...extraArgs],
    { stdio: ['ignore', fd, fd], env: { ...process.env, BASHGAH_OWNER_PASSWORD: OWNER_PASSWORD } },
  );
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited ${proc.exitCode}:\n${readFileSync(log, 'utf8')}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`server did not answer:\n${readFileSync(log, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    /** The server's data directory (its SQLite files), for tests that read what only the database holds. */
    data: path.join(root, 'data'),
    log: () => readFileSync(log, 'utf8'),
    async stop() {
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await done;
      }
      const code = proc.exitCode;
      rmSync(root, { recursive: true, force: true });
      return code;
    },
  };
}

/** Headless chromium with a fresh profile (playwright-core makes a new temporary user-data-dir for each launch)
 *  and no background networking; every request that leaves 127.0.0.1 is refused and remembered. */
export async function startBrowser() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--no-first-run',
      '--disable-dev-shm-usage',
      '--no-sandbox', // runs as root in CI containers
    ],
  });
  const outside = [];
  async function context(locale) {
    const ctx = await browser.newContext({ locale, viewport: { width: 1100, height: 900 } });
    await ctx.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.hostname === '127.0.0.1' || u.protocol === 'data:' || u.protocol === 'blob:') return route.continue();
      outside.push(u.href);
      return route.abort();
    });
    const page = await ctx.newPage();
    page.setDefaultTimeout(15000);
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // A 401 is how the app learns it is not signed in yet: not an error.
    page.on('console', (m) => m.type() === 'error' && !/status of 401/.test(m.text()) && errors.push(m.text()));
    page.errors = errors;
    return page;
  }
  return { browser, context, outside };
}

/** Screenshots under OUT/name/, numbered in the order taken. */
export function shooter(name) {
  const dir = path.join(OUT, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let n = 0;
  return async (page, what) => {
    n++;
    await page.screenshot({ path: path.join(dir, `${String(n).padStart(2, '0')}-${what}.png`), fullPage: true });
  };
}

export function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`);
}

/** Persian or Arabic-Indic digits as ASCII. */
export function ascii(s) {
  return s.replace(/[\u06F0-\u06F9]/g, (d) => String(d.charCodeAt(0) - 0x06f0)).replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660));
}

/** The number shown in a text (any digits, with grouping), or NaN. */
export function numberIn(s) {
  const m = ascii(s).replace(/[,\u066C\u060C]/g, '').match(/-?\d+/);
  return m ? Number(m[0]) : NaN;
}

/** What every open page showed when the flow failed, and what its console said. */
async function failureShots(name, b) {
  if (!b) return;
  const dir = path.join(OUT, name);
  mkdirSync(dir, { recursive: true });
  let n = 0;
  for (const ctx of b.browser.contexts())
    for (const page of ctx.pages()) {
      n++;
      await page.screenshot({ path: path.join(dir, `failed-${n}.png`), fullPage: true }).catch(() => {});
      console.error(`page ${n} at ${page.url()}; console errors: ${(page.errors ?? []).join(' | ') || 'none'}`);
    }
}

/** Runs a flow, prints the closing line ctest and people read, and exits non-zero on failure. opts.serverArgs go to
 *  startServer. */
export async function run(name, flow, opts = {}) {
  const started = Date.now();
  let server, b;
  let ok = false;
  try {
    server = await startServer(opts.serverArgs ?? []);
    b = await startBrowser();
    await flow({ server, b, shot: shooter(name) });
    check(b.outside.length === 0, `requests left this machine: ${b.outside.join(', ')}`);
    ok = true;
  } catch (e) {
    console.error(e && e.stack ? e.stack : e);
    await failureShots(name, b);
    if (server) console.error(`----- server log\n${server.log()}`);
  } finally {
    if (b) await b.browser.close().catch(() => {});
    if (server) {
      const code = await server.stop();
      if (ok && code !== 0) {
        console.error(`server stopped with exit code ${code}`);
        ok = false;
      }
    }
  }
  console.log(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(ok ? '1 passed, 0 failed' : '0 passed, 1 failed');
  process.exit(ok ? 0 : 1);
}
