#!/usr/bin/env node
// The user's browser for the integration tests: set as $BROWSER, started by
// the helper as `headless-user.js URL` with stdin/stdout/stderr on /dev/null
// and not waited for. It drives Debian's chromium through playwright-core and
// finishes on its own (hard limit 90 s).
//
// Environment:
//   HEADLESS_USER_LOG       append JSON lines here (nothing is written if unset):
//                           {"event":"launch","pid":..,"url_host":..,"mode":..}
//                           {"event":"done","result":"ok"|"denied"|"error"|"ignored",
//                            "final_status":..,"final_path":..,"callback_params":[..],
//                            "callback_error":..,"text":..,"prelude":{..},"error":..,
//                            "consent":["allow"|"deny",..],"login_form":true|false,
//                            "login":..}
//                           (consent: what was clicked on each consent screen;
//                           login_form: whether the provider showed its login
//                           form, login: the name typed there, else null)
//                           The full URL is never logged: it carries state,
//                           code challenge and, at the end, the code.
//   HEADLESS_USER_MODE      login (default) | deny | ignore | device: login signs
//                           in and clicks Allow on the consent screen, deny
//                           signs in and clicks Deny, device confirms the
//                           user code first, ignore does nothing
//   HEADLESS_USER_LOGIN     login name (default alice); any password works
//   HEADLESS_USER_PRELUDE   comma list of preconnect, favicon, wrong-state: stray
//                           requests to the redirect_uri origin before signing in
//                           (preconnect, a silent TCP connection held open to
//                           the end, always goes first; the others in order)
//   HEADLESS_USER_DELAY_MS  sleep this long before starting
//   HEADLESS_USER_CHROMIUM  browser binary (default /usr/bin/chromium)
//   HEADLESS_USER_DATA_DIR  a persistent browser profile (created if missing,
//                           kept): the provider's session cookie survives
//                           from one sign-in to the next, as in a user's own
//                           browser. Unset: a fresh profile, removed at the end.
//                           Two sign-ins at once cannot share one.

import {
  appendFileSync, mkdirSync, mkdtempSync, rmSync,
} from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { chromium } from 'playwright-core';

const HARD_LIMIT_MS = 90_000;
const STEP_TIMEOUT_MS = 30_000;
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // The provider's pages import a web font; with no network every other
  // host fails at once instead of waiting on DNS.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
];

const env = process.env;
const mode = env.HEADLESS_USER_MODE || 'login';
const login = env.HEADLESS_USER_LOGIN || 'alice';
const logFile = env.HEADLESS_USER_LOG;
const t0 = Date.now();

// Error messages name URLs; their query strings carry state, challenge or
// code, which never go to the log.
function scrub(message) {
  return String(message).split('\n')[0]
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#]*)[?#]\S*/gi, '$1?…');
}

function record(obj) {
  if (!logFile) return;
  try {
    appendFileSync(logFile, `${JSON.stringify({ ...obj, t: Date.now() - t0 })}\n`);
  } catch {
    // Nowhere to report it: stderr is /dev/null.
  }
}

let finished = false;
const cleanups = [];

async function finish(done) {
  if (finished) return;
  finished = true;
  setTimeout(() => process.exit(1), 20_000).unref();
  for (const fn of cleanups.reverse()) {
    try {
      await Promise.race([fn(), sleep(10_000)]);
    } catch {
      // keep cleaning up
    }
  }
  record({ event: 'done', mode, ...done });
  process.exit(done.result === 'error' ? 1 : 0);
}

function parseUrl(s) {
  try {
    return new URL(s);
  } catch {
    return null;
  }
}

// --- prelude: stray traffic against the loopback listener ---

function preludePreconnect(origin) {
  return new Promise((resolve) => {
    const started = Date.now();
    const result = { connected: false };
    const sock = connect({ host: origin.hostname, port: Number(origin.port) });
    sock.on('connect', () => {
      result.connected = true;
      resolve(result);
    });
    sock.on('data', () => {
      result.got_data = true;
    });
    sock.on('error', (err) => {
      result.error = err.code || err.message;
      resolve(result);
    });
    sock.on('close', () => {
      if (!finished) {
        result.closed_by_peer = true;
        result.closed_after_ms = Date.now() - started;
      }
      resolve(result);
    });
    cleanups.push(async () => {
      sock.destroy();
    });
  });
}

// Chromium asking the callback origin for /favicon.ico in a page of its own.
// The status comes from the DevTools protocol: playwright reports no
// response for an error status with an empty body
// (ERR_HTTP_RESPONSE_CODE_FAILURE), which is still an answer.
async function preludeFavicon(context, origin) {
  const page = await context.newPage();
  const href = new URL('/favicon.ico', origin).href;
  let status = null;
  try {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    cdp.on('Network.responseReceived', (ev) => {
      if (ev.response.url === href) status = ev.response.status;
    });
    let error;
    try {
      await page.goto(href, { timeout: 10_000 });
    } catch (err) {
      error = scrub(err.message);
    }
    await sleep(100);
    return status !== null ? { status } : { status, error };
  } catch (err) {
    return { status, error: scrub(err.message) };
  } finally {
    await page.close().catch(() => {});
  }
}

function preludeWrongState(origin) {
  return new Promise((resolve) => {
    const req = httpRequest({
      host: origin.hostname,
      port: Number(origin.port),
      path: '/callback?code=bogus&state=wrong',
      method: 'GET',
      agent: false,
      headers: { host: origin.host, connection: 'close' },
      timeout: 10_000,
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
      res.on('error', (err) => resolve({ status: res.statusCode, error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve({ status: null, error: err.code || err.message }));
    req.end();
  });
}

async function runPrelude(context, target) {
  const wanted = (env.HEADLESS_USER_PRELUDE || '')
    .split(',').map((s) => s.trim()).filter(Boolean);
  const results = {};
  if (wanted.length === 0) return results;
  const redirect = parseUrl(target.searchParams.get('redirect_uri') || '');
  if (!redirect) {
    for (const name of wanted) results[name] = { error: 'no redirect_uri in URL' };
    return results;
  }
  // The silent connection goes first whatever the order, so that a listener
  // that serves one connection at a time is stuck on it, as it would be
  // behind a browser's speculative connection.
  wanted.sort((a, b) => (b === 'preconnect') - (a === 'preconnect'));
  for (const name of wanted) {
    switch (name) {
      case 'preconnect':
        results[name] = await preludePreconnect(redirect);
        break;
      case 'favicon':
        results[name] = await preludeFavicon(context, redirect);
        break;
      case 'wrong-state':
        results[name] = await preludeWrongState(redirect);
        break;
      default:
        results[name] = { error: 'unknown prelude step' };
    }
  }
  return results;
}

// --- the sign-in itself ---

// Set by the DevTools listener when a document is answered 204/205: the page
// then stays where it was and no load event follows.
let noContentSeen = () => {};

// Runs action and waits for the main frame to load the next document
// (redirect chains end in one load; so do error pages).
async function act(page, action) {
  const noContent = new Promise((resolve) => { noContentSeen = resolve; });
  const loaded = page.waitForEvent('load', { timeout: STEP_TIMEOUT_MS });
  loaded.catch(() => {});
  await action();
  await Promise.race([loaded, noContent]);
}

// Navigates to url; an answer with an error status and no body, or with no
// content at all, is still an answer (the callback may end that way), not a
// failure of the user.
async function visit(page, url) {
  await act(page, () => page.goto(url, { timeout: STEP_TIMEOUT_MS, waitUntil: 'commit' })
    .catch((err) => {
      if (!/ERR_HTTP_RESPONSE_CODE_FAILURE|ERR_ABORTED/.test(err.message)) throw err;
    }));
}

// The URL of the document shown. Chromium replaces a document answered with
// an error status and no body by chrome-error://chromewebdata/, and keeps the
// old page on 204/205; the URL that was answered is then the last document
// response seen.
function currentUrl(page, ctx) {
  const shown = page.url();
  if (ctx.lastDoc.url && (shown.startsWith('chrome-error:')
      || ctx.lastDoc.status === 204 || ctx.lastDoc.status === 205)) {
    return parseUrl(ctx.lastDoc.url);
  }
  return parseUrl(shown);
}

function onCallback(page, ctx) {
  const url = currentUrl(page, ctx);
  const redirectOrigin = ctx.redirect;
  if (!url) return false;
  if (redirectOrigin) {
    return url.origin === redirectOrigin.origin
      && url.pathname === redirectOrigin.pathname;
  }
  return url.hostname === '127.0.0.1' && url.pathname === '/callback';
}

async function pageText(page) {
  try {
    const text = await page.evaluate(() => (document.body ? document.body.innerText : ''));
    return text.replace(/\s+/g, ' ').trim().slice(0, 200);
  } catch {
    return '';
  }
}

// One step of whatever page the provider shows. Returns true when the flow
// reached its end (callback page, device success page or an error page).
async function step(page, ctx) {
  const url = currentUrl(page, ctx);
  if (onCallback(page, ctx)) return true;
  if (await page.locator('input[name=login]').count()) {
    ctx.loginForm = true;
    await page.fill('input[name=login]', login);
    await page.fill('input[name=password]', 'any-password');
    await act(page, () => page.click('button.login-submit'));
    return false;
  }
  if (await page.locator('input[name=user_code]:not([type=hidden])').count()) {
    await act(page, () => page.click('button[type=submit][form="op.deviceInputForm"]'));
    return false;
  }
  if (await page.locator('form[id="op.deviceConfirmForm"]').count()) {
    await act(page, () => page.click('button[autofocus][form="op.deviceConfirmForm"]'));
    return false;
  }
  // The consent screen: Allow, or Deny when the test asks for it.
  if (await page.locator('button[name=decision]').count()) {
    const decision = ctx.wantDeny ? 'deny' : 'allow';
    ctx.consent.push(decision);
    await act(page, () => page.click(`button[name=decision][value=${decision}]`));
    return false;
  }
  return true;
}

function describeEnd(page, ctx, text) {
  const url = currentUrl(page, ctx);
  const out = {
    final_status: ctx.lastDoc.status,
    final_path: url ? url.pathname : null,
    // After 204/205 the page shown is the previous one.
    text: ctx.lastDoc.status === 204 || ctx.lastDoc.status === 205 ? '' : text,
  };
  if (onCallback(page, ctx)) {
    out.callback_params = [...url.searchParams.keys()];
    const error = url.searchParams.get('error');
    if (error) out.callback_error = error;
    if (error === 'access_denied') out.result = 'denied';
    else if (error) out.result = 'error';
    else out.result = ctx.wantDeny ? 'error' : 'ok';
  } else if (ctx.device && /success/i.test(text)) {
    out.result = 'ok';
  } else if (ctx.device && /aborted|denied/i.test(text)) {
    out.result = 'denied';
  } else {
    out.result = 'error';
    out.error = 'the flow ended away from the callback';
  }
  return out;
}

// The browser profile: HEADLESS_USER_DATA_DIR, kept, or a fresh one.
function profileDir() {
  if (env.HEADLESS_USER_DATA_DIR) {
    mkdirSync(env.HEADLESS_USER_DATA_DIR, { recursive: true, mode: 0o700 });
    return env.HEADLESS_USER_DATA_DIR;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'headless-user-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  return dataDir;
}

async function signIn(target) {
  const dataDir = profileDir();
  const context = await chromium.launchPersistentContext(dataDir, {
    executablePath: env.HEADLESS_USER_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: STEP_TIMEOUT_MS,
    // Our own SIGTERM handler closes the browser, removes the profile and
    // logs the end; playwright's would exit first.
    handleSIGTERM: false,
    handleSIGINT: false,
    handleSIGHUP: false,
  });
  cleanups.push(async () => context.close());
  const browserUpMs = Date.now() - t0;

  const ctx = {
    redirect: parseUrl(target.searchParams.get('redirect_uri') || ''),
    wantDeny: mode === 'deny',
    device: mode === 'device',
    consent: [],
    loginForm: false,
    lastDoc: { url: null, status: null },
  };
  const prelude = await runPrelude(context, target);

  const page = context.pages()[0] || await context.newPage();
  // Statuses from the DevTools protocol: playwright reports none for a
  // document answered with an error status and no body.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  cdp.on('Network.responseReceived', (ev) => {
    if (ev.type === 'Document') {
      ctx.lastDoc = { url: ev.response.url, status: ev.response.status };
      if (ev.response.status === 204 || ev.response.status === 205) noContentSeen();
    }
  });

  let end;
  try {
    await visit(page, target.href);
    for (let i = 0; i < 10; i++) {
      if (await step(page, ctx)) break;
    }
    end = describeEnd(page, ctx, await pageText(page));
  } catch (err) {
    end = {
      result: 'error',
      error: scrub(err.message),
      final_status: ctx.lastDoc.status,
      text: await pageText(page),
    };
  }
  return {
    ...end,
    consent: ctx.consent,
    login_form: ctx.loginForm,
    login: ctx.loginForm ? login : null,
    prelude, browser_up_ms: browserUpMs, signed_in_ms: Date.now() - t0,
  };
}

async function main() {
  const target = parseUrl(process.argv[2] || '');
  record({ event: 'launch', pid: process.pid, url_host: target ? target.host : null, mode });
  setTimeout(() => {
    finish({ result: 'error', error: 'hard time limit reached' });
  }, HARD_LIMIT_MS).unref();

  const delay = Number(env.HEADLESS_USER_DELAY_MS || 0);
  if (delay > 0) await sleep(delay);
  if (!target) {
    await finish({ result: 'error', error: 'no URL given' });
    return;
  }
  if (!['login', 'deny', 'ignore', 'device'].includes(mode)) {
    await finish({ result: 'error', error: `unknown HEADLESS_USER_MODE ${mode}` });
    return;
  }
  if (mode === 'ignore') {
    await finish({ result: 'ignored' });
    return;
  }
  await finish(await signIn(target));
}

process.on('SIGTERM', () => finish({ result: 'error', error: 'SIGTERM' }));
main().catch((err) => finish({ result: 'error', error: scrub(err && err.message) }));
