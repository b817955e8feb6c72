// What the token-gated test servers share (git-server.js, registry-front.js,
// kube-api.js, cargo-registry.js): the command line, the token check, the
// Authorization schemes a server offers, reading a JSON request body, a
// JSON log, the "ready URL" line and a clean stop.
//
// Each server takes at least
//   --port N --issuer URL --client-id ID [--log FILE] [--refuse-file FILE]
//   [--tls-cert PEM --tls-key PEM] [--introspect]
// (--port 0 picks a free port), listens on 127.0.0.1 (https with the TLS
// options), prints exactly one line "ready http[s]://127.0.0.1:PORT" on
// stdout, logs one JSON line per request (method, path, status, auth, why
// and what the server adds) and never logs a token. For a token that
// passed, or failed only a server's own rule, the line also says whose it
// is: iss, client_id, sub, scope (and aud) as the check saw them.
//
// A token is accepted the way a resource server behind Clerk accepts it
// (Clerk's SDKs verify JWT access tokens on their own, and ask Clerk about
// opaque ones):
// - a JWT (three dot-separated parts) must be an access token (header typ
//   "at+jwt"), signed RS256 by a key of the provider's JWKS (jwks_uri of
//   {issuer}/.well-known/openid-configuration, fetched once and again for
//   an unknown kid), with iss equal to --issuer, client_id equal to
//   --client-id, an exp still ahead and no nbf or iat ahead (5 s of clock
//   skew allowed, as Clerk's SDKs do). A revoked or signed-out JWT stays
//   valid until it expires, as with Clerk.
// - any other token is asked about at the provider's introspection endpoint
//   ({issuer}/oauth/token_info, form token and client_id) and must be
//   "active": true.
// - --introspect: every token, JWTs too, is asked about there and must be
//   "active": true with client_id equal to --client-id: the proof of whose
//   token it is that a registry with several identity providers relies on.
// - --refuse-file FILE: a token whose SHA-256 (lower-case hex) is a line of
//   FILE is refused whatever it is: a provider-side revocation as this
//   server sees it. FILE is read on every request; a missing FILE is empty.

import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { parseArgs } from 'node:util';

// extra: {name: true} for a required --name X, {name: false} for an
// optional one.
export function parseCli(name, extra = {}) {
  const usage = (msg) => {
    process.stderr.write(`${name}: ${msg}\n`);
    process.stderr.write(`usage: ${name} --port N --issuer URL --client-id ID `
      + `[--log FILE] [--refuse-file FILE] [--introspect]${Object.entries(extra)
        .map(([k, req]) => (req ? ` --${k} X` : ` [--${k} X]`)).join('')}\n`);
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
        'refuse-file': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        introspect: { type: 'boolean', default: false },
        ...Object.fromEntries(Object.keys(extra).map((k) => [k, { type: 'string' }])),
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usage(err.message);
  }
  const required = Object.keys(extra).filter((k) => extra[k]);
  for (const k of ['port', 'issuer', 'client-id', ...required]) {
    if (values[k] === undefined) usage(`--${k} is required`);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`bad --port: ${values.port}`);
  const issuer = values.issuer.replace(/\/+$/, '');
  return {
    ...values,
    port,
    issuer,
    introspection: `${issuer}/oauth/token_info`,
    clientId: values['client-id'],
    refuseFile: values['refuse-file'],
  };
}

// 'ok' when the provider calls the token active, else 'inactive' or 'error'.
export async function introspect(opts, token) {
  return (await introspection(opts, token)).auth;
}

// Whose token, from a JWT's claims or an introspection answer: what a
// log line may say about it (never the token).
function identity(c) {
  const out = {};
  for (const k of ['iss', 'client_id', 'sub', 'scope', 'aud']) {
    if (c && c[k] !== undefined) out[k] = c[k];
  }
  return out;
}

// The audience of a JWT's payload (not verified: only for a token the
// provider vouched for), or undefined.
function jwtAudience(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')).aud;
  } catch {
    return undefined;
  }
}

// { auth: 'ok' | 'inactive' | 'error', why, ...identity } from the
// provider's introspection endpoint; with --introspect the token's
// client_id must be --client-id.
async function introspection(opts, token) {
  if (!token) return { auth: 'none', why: 'no token' };
  let body;
  try {
    const res = await fetch(opts.introspection, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: opts.clientId }).toString(),
      signal: AbortSignal.timeout(5000),
    });
    if (res.status !== 200) return { auth: 'error', why: 'introspection' };
    body = await res.json();
  } catch {
    return { auth: 'error', why: 'introspection' };
  }
  if (body.active !== true) return { auth: 'inactive', why: 'introspection' };
  const who = identity(body);
  if (who.aud === undefined) {
    const aud = jwtAudience(token);
    if (aud !== undefined) who.aud = aud;
  }
  if (opts.introspect && body.client_id !== opts.clientId) {
    return { auth: 'inactive', why: 'client_id', ...who };
  }
  return { auth: 'ok', why: 'introspection', ...who };
}

const SKEW = 5;
const JWT_MAX = 16 * 1024;
const jwksCache = new Map(); // issuer -> { keys: Map(kid -> KeyObject), at }

async function fetchJson(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

async function loadJwks(opts) {
  const discovery = await fetchJson(`${opts.issuer}/.well-known/openid-configuration`);
  if (discovery.issuer !== opts.issuer || typeof discovery.jwks_uri !== 'string') {
    throw new Error('discovery names another issuer or no jwks_uri');
  }
  const jwks = await fetchJson(discovery.jwks_uri);
  const keys = new Map();
  for (const jwk of Array.isArray(jwks.keys) ? jwks.keys : []) {
    if (jwk.kty !== 'RSA' || typeof jwk.kid !== 'string') continue;
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    keys.set(jwk.kid, createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' }));
  }
  const entry = { keys, at: Date.now() };
  jwksCache.set(opts.issuer, entry);
  return entry;
}

// The provider's key for kid: from the cached JWKS, else a fresh one
// (at most once a second, so that a flood of unknown kids is no flood).
async function jwksKey(opts, kid) {
  let entry = jwksCache.get(opts.issuer);
  if (!entry || (!entry.keys.has(kid) && Date.now() - entry.at > 1000)) {
    entry = await loadJwks(opts);
  }
  return entry.keys.get(kid);
}

function b64json(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

// { auth: 'ok' | 'inactive' | 'error', why } for a JWT access token.
async function verifyJwt(opts, token) {
  if (token.length > JWT_MAX) return { auth: 'inactive', why: 'too long' };
  const [h, p, sig] = token.split('.');
  let header;
  let claims;
  try {
    header = b64json(h);
    claims = b64json(p);
  } catch {
    return { auth: 'inactive', why: 'malformed' };
  }
  if (header.typ !== 'at+jwt') return { auth: 'inactive', why: 'not an access token' };
  if (header.alg !== 'RS256') return { auth: 'inactive', why: 'alg' };
  if (typeof header.kid !== 'string') return { auth: 'inactive', why: 'no kid' };
  let key;
  try {
    key = await jwksKey(opts, header.kid);
  } catch {
    return { auth: 'error', why: 'jwks' };
  }
  if (!key) return { auth: 'inactive', why: 'unknown kid' };
  if (!cryptoVerify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(sig, 'base64url'))) {
    return { auth: 'inactive', why: 'signature' };
  }
  const now = Math.floor(Date.now() / 1000);
  if (claims.iss !== opts.issuer) return { auth: 'inactive', why: 'iss' };
  if (claims.client_id !== opts.clientId) return { auth: 'inactive', why: 'client_id' };
  if (typeof claims.exp !== 'number' || claims.exp + SKEW <= now) {
    return { auth: 'inactive', why: 'expired' };
  }
  if ((typeof claims.nbf === 'number' && claims.nbf - SKEW > now)
      || (typeof claims.iat === 'number' && claims.iat - SKEW > now)) {
    return { auth: 'inactive', why: 'not yet valid' };
  }
  if (typeof claims.sub !== 'string' || !claims.sub) return { auth: 'inactive', why: 'sub' };
  return { auth: 'ok', why: 'jwt', ...identity(claims) };
}

function refused(opts, token) {
  if (!opts.refuseFile) return false;
  let text;
  try {
    text = readFileSync(opts.refuseFile, 'utf8');
  } catch {
    return false;
  }
  const digest = createHash('sha256').update(token).digest('hex');
  return text.split('\n').some((line) => line.trim() === digest);
}

// The verdict on a token: { auth: 'ok' | 'inactive' | 'error' | 'none', why }.
export async function checkToken(opts, token) {
  if (!token) return { auth: 'none', why: 'no token' };
  if (refused(opts, token)) return { auth: 'inactive', why: 'refused' };
  if (!opts.introspect && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
    return verifyJwt(opts, token);
  }
  return introspection(opts, token);
}

// The token of "Authorization: Bearer T", or null.
export function bearerToken(header) {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header || '');
  return m ? m[1] : null;
}

// { user, password } of "Authorization: Basic base64(user:password)", or null.
export function basicCredentials(header) {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header || '');
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

// The password of "Authorization: Basic base64(user:password)", or null.
export function basicPassword(header) {
  const creds = basicCredentials(header);
  return creds ? creds.password : null;
}

// The scheme of an Authorization header, lower case ('basic', 'bearer',
// ...), or 'none'.
export function authScheme(header) {
  const m = /^([A-Za-z][A-Za-z0-9._~+/-]*)(\s|$)/.exec(header || '');
  return m ? m[1].toLowerCase() : 'none';
}

// { scheme, user, auth, why, who } for a request's Authorization header on
// a server that offers the schemes in offers ('basic', 'bearer'): with
// Basic the token is the password and user the user name; with Bearer
// user is the token's subject (a JWT's sub), else 'oauth2'. A scheme not
// offered is refused like a bad token. who: identity of the token (iss,
// client_id, sub, scope, aud) as far as the check got.
export async function authenticate(opts, offers, header) {
  const scheme = authScheme(header);
  let token = null;
  let user = null;
  if (scheme === 'basic' && offers.includes('basic')) {
    const creds = basicCredentials(header);
    if (creds) ({ user, password: token } = creds);
  } else if (scheme === 'bearer' && offers.includes('bearer')) {
    token = bearerToken(header);
  } else if (scheme !== 'none') {
    return { scheme, user, auth: 'inactive', why: 'scheme not offered' };
  }
  const { auth, why, ...who } = await checkToken(opts, token);
  return {
    scheme, user: user || who.sub || 'oauth2', auth, why, who,
  };
}

// A request's body parsed as JSON; rejects past limit bytes (and drops the
// connection) or when it is not JSON.
export function readJson(req, limit) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        req.destroy();
        reject(new Error('request body too large'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

// Run handle(req, res, url) -> { status, auth, ... } for every request; the
// log line has method, path and whatever handle returned.
export async function serve(name, opts, handle) {
  const t0 = Date.now();
  const log = (obj) => {
    process.stderr.write(`${name}: ${obj.method} ${obj.path} ${obj.status} auth=${obj.auth}`
      + `${obj.why ? ` (${obj.why})` : ''}\n`);
    if (opts.log) appendFileSync(opts.log, `${JSON.stringify({ t: Date.now() - t0, ...obj })}\n`);
  };
  const tls = opts['tls-cert'] && opts['tls-key'];
  const onRequest = (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    handle(req, res, url).then((result) => {
      log({ method: req.method, path: url.pathname, ...result });
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
