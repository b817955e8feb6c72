#!/usr/bin/env node
// A smart-HTTP git server on 127.0.0.1 that accepts only bearer tokens the
// identity provider calls active, for the integration tests.
//
//   node tests/peers/git-server.js --port N --root DIR --issuer URL
//       --client-id ID [--log FILE]
//
// --port 0 picks a free port. When listening it prints exactly one line,
// "ready http://127.0.0.1:PORT", on stdout. Repositories are served from DIR
// by `git http-backend` (CGI, argument vector, no shell), e.g.
// http://127.0.0.1:PORT/repo.git for DIR/repo.git.
//
// Every request needs HTTP Basic auth whose password the provider's
// introspection endpoint (POST {issuer}/oauth/token_info, form token and
// client_id) answers "active": true for; anything else gets 401 with
// WWW-Authenticate: Basic realm="clerk-test". The user name is not checked
// (git sends whatever the credential helper said, "oauth2" by default) but is
// passed on as REMOTE_USER.
//
// Each request is logged to stderr (method, path, status, auth) and, with
// --log FILE, appended there as a JSON line. Tokens are never logged.

import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const REALM = 'clerk-test';

function usage(msg) {
  if (msg) process.stderr.write(`git-server.js: ${msg}\n`);
  process.stderr.write('usage: git-server.js --port N --root DIR --issuer URL '
    + '--client-id ID [--log FILE]\n');
  process.exit(2);
}

function parseCli() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        root: { type: 'string' },
        issuer: { type: 'string' },
        'client-id': { type: 'string' },
        log: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usage(err.message);
  }
  for (const k of ['port', 'root', 'issuer', 'client-id']) {
    if (values[k] === undefined) usage(`--${k} is required`);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    usage(`bad --port: ${values.port}`);
  }
  return {
    port,
    root: values.root,
    introspection: `${values.issuer.replace(/\/+$/, '')}/oauth/token_info`,
    clientId: values['client-id'],
    log: values.log,
  };
}

function basicCredentials(header) {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header || '');
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

// Returns 'ok', 'inactive' or 'error'.
async function introspect(opts, token) {
  try {
    const res = await fetch(opts.introspection, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: opts.clientId }).toString(),
      signal: AbortSignal.timeout(5000),
    });
    if (res.status !== 200) return 'error';
    const body = await res.json();
    return body.active === true ? 'ok' : 'inactive';
  } catch {
    return 'error';
  }
}

function cgiEnv(opts, req, url, user) {
  const env = {
    PATH: process.env.PATH || '/usr/bin:/bin',
    GIT_PROJECT_ROOT: opts.root,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    SERVER_SOFTWARE: 'clerk-test-git-server',
    REQUEST_METHOD: req.method,
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    REMOTE_ADDR: req.socket.remoteAddress || '127.0.0.1',
    REMOTE_USER: user,
    AUTH_TYPE: 'Basic',
  };
  if (req.headers['content-type']) env.CONTENT_TYPE = req.headers['content-type'];
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
  for (const [name, value] of Object.entries(req.headers)) {
    if (name === 'authorization' || name === 'content-type'
        || name === 'content-length') continue;
    env[`HTTP_${name.toUpperCase().replace(/-/g, '_')}`] = String(value);
  }
  return env;
}

// Runs git http-backend and relays its CGI answer. Resolves to the status.
function runBackend(opts, req, res, url, user) {
  return new Promise((resolve) => {
    const child = spawn('git', ['http-backend'], {
      env: cgiEnv(opts, req, url, user),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let head = Buffer.alloc(0);
    let headDone = false;
    let status = 200;
    child.stderr.on('data', (d) => process.stderr.write(`git http-backend: ${d}`));
    child.stdin.on('error', () => {});
    req.pipe(child.stdin);
    child.stdout.on('data', (chunk) => {
      if (headDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const text = head.toString('latin1');
      const crlf = text.indexOf('\r\n\r\n');
      const lf = text.indexOf('\n\n');
      if (crlf < 0 && lf < 0) return;
      const [end, sep] = lf >= 0 && (crlf < 0 || lf < crlf) ? [lf, 2] : [crlf, 4];
      headDone = true;
      for (const line of text.slice(0, end).split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = parseInt(value, 10) || 500;
        else res.setHeader(name, value);
      }
      res.statusCode = status;
      res.write(head.subarray(end + sep));
    });
    child.on('error', (err) => {
      process.stderr.write(`git-server.js: cannot run git http-backend: ${err.message}\n`);
    });
    child.on('close', (code) => {
      if (!headDone) {
        status = 500;
        if (!res.headersSent) res.statusCode = 500;
      }
      res.end();
      resolve(code === 0 || headDone ? status : 500);
    });
  });
}

async function handle(opts, log, req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const creds = basicCredentials(req.headers.authorization);
  let auth = 'none';
  let status;
  if (creds) auth = await introspect(opts, creds.password);
  if (auth === 'ok') {
    status = await runBackend(opts, req, res, url, creds.user || 'oauth2');
  } else {
    req.resume();
    status = auth === 'error' ? 502 : 401;
    res.statusCode = status;
    if (status === 401) res.setHeader('WWW-Authenticate', `Basic realm="${REALM}"`);
    res.setHeader('Content-Type', 'text/plain');
    res.end(status === 401 ? 'authentication required\n'
      : 'cannot reach the token introspection endpoint\n');
  }
  const entry = {
    method: req.method,
    path: url.pathname,
    service: url.searchParams.get('service') || undefined,
    status,
    auth,
  };
  process.stderr.write(`git-server.js: ${entry.method} ${entry.path} ${status} auth=${auth}\n`);
  log(entry);
}

async function main() {
  const opts = parseCli();
  const t0 = Date.now();
  const log = (obj) => {
    if (opts.log) appendFileSync(opts.log, `${JSON.stringify({ t: Date.now() - t0, ...obj })}\n`);
  };
  const server = createServer((req, res) => {
    handle(opts, log, req, res).catch((err) => {
      process.stderr.write(`git-server.js: ${err.stack}\n`);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', resolve);
  });

  let closing = false;
  const stop = (sig) => {
    if (closing) return;
    closing = true;
    process.stderr.write(`git-server.js: ${sig}, closing\n`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  process.stdout.write(`ready http://127.0.0.1:${server.address().port}\n`);
}

main().catch((err) => {
  process.stderr.write(`git-server.js: ${err.stack || err}\n`);
  process.exit(1);
});
