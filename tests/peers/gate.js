// What the token-gated test servers share (registry-front.js, kube-api.js,
// cargo-registry.js): the command line, the identity provider's
// introspection, a JSON log, the "ready URL" line and a clean stop.
//
// Each server takes at least
//   --port N --issuer URL --client-id ID [--log FILE]
//   [--tls-cert PEM --tls-key PEM]
// (--port 0 picks a free port), listens on 127.0.0.1 (https with the TLS
// options), prints exactly one line "ready http[s]://127.0.0.1:PORT" on
// stdout, logs one JSON line per request (method, path, status, auth) and
// never logs a token.

import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { parseArgs } from 'node:util';

export function parseCli(name, extra = {}) {
  const usage = (msg) => {
    process.stderr.write(`${name}: ${msg}\n`);
    process.stderr.write(`usage: ${name} --port N --issuer URL --client-id ID `
      + `[--log FILE]${Object.keys(extra).map((k) => ` --${k} X`).join('')}\n`);
    process.exit(2);
  };
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        issuer: { type: 'string' },
        'client-id': { type: 'string' },
        log: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        ...Object.fromEntries(Object.keys(extra).map((k) => [k, { type: 'string' }])),
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usage(err.message);
  }
  for (const k of ['port', 'issuer', 'client-id', ...Object.keys(extra)]) {
    if (values[k] === undefined) usage(`--${k} is required`);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`bad --port: ${values.port}`);
  return {
    ...values,
    port,
    introspection: `${values.issuer.replace(/\/+$/, '')}/oauth/token_info`,
    clientId: values['client-id'],
  };
}

// 'ok' when the provider calls the token active, else 'inactive' or 'error'.
export async function introspect(opts, token) {
  if (!token) return 'none';
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

// The token of "Authorization: Bearer T", or null.
export function bearerToken(header) {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header || '');
  return m ? m[1] : null;
}

// The password of "Authorization: Basic base64(user:password)", or null.
export function basicPassword(header) {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header || '');
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : decoded.slice(colon + 1);
}

// Run handle(req, res, url) -> { status, auth } for every request.
export async function serve(name, opts, handle) {
  const t0 = Date.now();
  const log = (obj) => {
    process.stderr.write(`${name}: ${obj.method} ${obj.path} ${obj.status} auth=${obj.auth}\n`);
    if (opts.log) appendFileSync(opts.log, `${JSON.stringify({ t: Date.now() - t0, ...obj })}\n`);
  };
  const tls = opts['tls-cert'] && opts['tls-key'];
  const onRequest = (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    handle(req, res, url).then(({ status, auth }) => {
      log({ method: req.method, path: url.pathname, status, auth });
    }).catch((err) => {
      process.stderr.write(`${name}: ${err.stack}\n`);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  };
  const server = tls
    ? createTlsServer({ cert: readFileSync(opts['tls-cert']),
      key: readFileSync(opts['tls-key']) }, onRequest)
    : createServer(onRequest);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', resolve);
  });
  let closing = false;
  const stop = (sig) => {
    if (closing) return;
    closing = true;
    process.stderr.write(`${name}: ${sig}, closing\n`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${server.address().port}`;
  process.stdout.write(`ready ${url}\n`);
  return url;
}

export function fail(name, err) {
  process.stderr.write(`${name}: ${err.stack || err}\n`);
  process.exit(1);
}
