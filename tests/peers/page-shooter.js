#!/usr/bin/env node
// A $BROWSER for the sign-in page test (tests/integration/test_signin_page.py):
// started by the helper as `page-shooter.js AUTHORIZE_URL`, it does not sign
// in at a provider. It takes redirect_uri and state from the authorize URL,
// opens the loopback callback in Debian's headless chromium (playwright-core)
// with the parameters the test chose, and records what the page showed:
// its text, whether any script ran, every request it made, CSP violations,
// the text/background contrast in the light and dark schemes, and whether it
// fits a phone-sized window without sideways scrolling. It saves screenshots.
//
// Environment:
//   PAGE_SHOOTER_PARAMS  JSON object of callback parameters (state is added)
//   PAGE_SHOOTER_OUT     directory for the screenshots
//   PAGE_SHOOTER_NAME    their name prefix: NAME-light.png, NAME-dark.png,
//                        NAME-phone-light.png, NAME-phone-dark.png
//   PAGE_SHOOTER_LOG     the result, one JSON line (written last)
//   PAGE_SHOOTER_CHROMIUM  browser binary (default /usr/bin/chromium)

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

const env = process.env;
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
];

setTimeout(() => process.exit(1), 60_000).unref();

// WCAG contrast ratio of two "rgb(r, g, b)" colours.
function contrast(a, b) {
  const lum = (c) => {
    const [r, g, bl] = c.match(/[\d.]+/g).slice(0, 3).map((v) => {
      const s = Number(v) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100;
}

async function measure(page) {
  const m = await page.evaluate(() => {
    const cs = (sel, prop) => getComputedStyle(document.querySelector(sel))[prop];
    return {
      text: document.body.innerText,
      h1Class: document.querySelector('h1')?.className ?? null,
      scripts: document.querySelectorAll('script').length,
      pwned: window.__pwned ?? null,
      fg: cs('main', 'color'),
      card: cs('main', 'backgroundColor'),
      heading: cs('h1', 'color'),
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      csp: window.__csp,
    };
  });
  m.textContrast = contrast(m.fg, m.card);
  m.headingContrast = contrast(m.heading, m.card);
  return m;
}

async function main() {
  const authorize = new URL(process.argv[2]);
  const target = new URL(authorize.searchParams.get('redirect_uri'));
  const params = JSON.parse(env.PAGE_SHOOTER_PARAMS || '{}');
  for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
  target.searchParams.set('state', authorize.searchParams.get('state'));

  const out = env.PAGE_SHOOTER_OUT;
  const name = env.PAGE_SHOOTER_NAME || 'page';
  const browser = await chromium.launch({
    executablePath: env.PAGE_SHOOTER_CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  const context = await browser.newContext({ viewport: { width: 900, height: 640 } });
  const page = await context.newPage();
  const requests = [];
  const consoleLines = [];
  page.on('request', (r) => requests.push(r.url().split('?')[0]));
  page.on('console', (msg) => consoleLines.push(msg.text()));
  // Runs before the page (and is not subject to its CSP).
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation',
      (e) => window.__csp.push(e.violatedDirective));
  });
  const resp = await page.goto(target.href, { waitUntil: 'load' });
  const headers = resp.headers();
  await page.waitForTimeout(300);
  const result = { status: resp.status(), csp: headers['content-security-policy'] };

  result.light = await measure(page);
  await page.screenshot({ path: join(out, `${name}-light.png`), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  result.dark = await measure(page);
  await page.screenshot({ path: join(out, `${name}-dark.png`), fullPage: true });
  await page.setViewportSize({ width: 360, height: 740 });
  result.phoneDark = await measure(page);
  await page.screenshot({ path: join(out, `${name}-phone-dark.png`), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });
  result.phoneLight = await measure(page);
  await page.screenshot({ path: join(out, `${name}-phone-light.png`), fullPage: true });

  result.requests = requests;
  result.console = consoleLines;
  await browser.close();
  writeFileSync(env.PAGE_SHOOTER_LOG, `${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  try {
    writeFileSync(env.PAGE_SHOOTER_LOG,
      `${JSON.stringify({ error: String(err).split('\n')[0] })}\n`);
  } finally {
    process.exit(1);
  }
});
