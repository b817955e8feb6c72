#!/usr/bin/env node
// A smart-HTTP git server with a git-lfs server on 127.0.0.1, both behind
// the token check of gate.js, for the integration tests.
//
//   node tests/peers/git-server.js --port N --root DIR --issuer URL
//       --client-id ID [--scheme basic|bearer|both] [--realm NAME]
//       [--lfs-dir DIR] [--log FILE] [--refuse-file FILE] [--introspect]
//       [--resource-metadata ISSUER[,ISSUER...]] [--resource URL]
//       [--require-scope SCOPE] [--audience URL]
//
// --port 0 picks a free port. When listening it prints exactly one line,
// "ready http://127.0.0.1:PORT", on stdout. Repositories are served from DIR
// by `git http-backend` (CGI, argument vector, no shell), e.g.
// http://127.0.0.1:PORT/repo.git for DIR/repo.git.
//
// --scheme says which HTTP authentication the server offers (default
// basic), as today's git hosts do:
//   basic   "Authorization: Basic base64(user:token)": the token is the
//           password, any user name (git's "oauth2:<token>" convention);
//           401s carry WWW-Authenticate: Basic realm="NAME".
//   bearer  "Authorization: Bearer <token>"; 401s carry
//           WWW-Authenticate: Bearer realm="NAME", with error="invalid_token"
//           after a refused token (RFC 6750).
//   both    either; 401s carry both headers, Bearer first.
// A scheme not offered is refused like a bad token. The token must pass
// gate.js's check (a JWT access token of the provider verified against its
// JWKS, or an opaque token its introspection calls active, and not listed in
// --refuse-file; with --introspect every token is asked about at the
// provider and must be of --client-id); the git user (REMOTE_USER) is the
// Basic user name, or the token's subject for Bearer.
//
// A resource server's own rules on a valid token:
//   --require-scope S  the token's scope (JWT claim, or introspection's)
//                      must hold S, else 401 with
//                      WWW-Authenticate: Bearer error="insufficient_scope",
//                      scope="S" (a Bearer challenge even on a Basic-only
//                      server: it is what tells a client to ask for more);
//   --audience URL     a JWT's aud must be or contain URL, else 401
//                      Bearer error="invalid_token".
//
// OAuth 2.0 Protected Resource Metadata (RFC 9728), with
// --resource-metadata ISSUER[,ISSUER...]:
//   GET /.well-known/oauth-protected-resource answers, without any token,
//     {"resource":"http://127.0.0.1:PORT/","authorization_servers":[ISSUERS]}
//   and GET /.well-known/oauth-protected-resource/PATH (§3.1) the same with
//   "resource" http://127.0.0.1:PORT/PATH; --resource URL makes "resource"
//   URL in both (a mismatch, for tests). Every Bearer challenge of a 401
//   then carries
//     resource_metadata="http://127.0.0.1:PORT/.well-known/oauth-protected-resource".
//
// The git-lfs batch API lives on the same server and behind the same check,
// at the URL git-lfs derives from the remote (REPO.git/info/lfs):
//   POST REPO.git/info/lfs/objects/batch   basic transfer adapter only;
//        upload and download hrefs point back at this server
//   PUT  REPO.git/info/lfs/objects/OID     stored only if its SHA-256 is OID
//   GET  REPO.git/info/lfs/objects/OID
//   POST REPO.git/info/lfs/verify          {oid, size} of a stored object
//   POST REPO.git/info/lfs/locks/verify    no locks, ever
// Objects live in --lfs-dir (default DIR/.lfs-objects), one file per OID.
//
// Each request is logged to stderr and, with --log FILE, appended there as
// a JSON line: method, path, service (git), lfs (batch, upload, download,
// verify, locks), status, scheme (what the client sent: basic, bearer,
// none, ...), auth (ok, inactive, error, none) and why, and whose token
// it was as far as the check got (iss, client_id, sub, scope, aud);
// metadata requests have "metadata": true. Tokens are never logged.

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, statSync, unlinkSync,
} from 'node:fs';
import { join } from 'node:path';

import {
  authenticate, fail, parseCli, readJson, serve,
} from './gate.js';

const NAME = 'git-server.js';
const LFS_TYPE = 'application/vnd.git-lfs+json';
const LFS_JSON_LIMIT = 1024 * 1024;
const LFS_OBJECT_LIMIT = 64 * 1024 * 1024;
const METADATA_PATH = '/.well-known/oauth-protected-resource';
// RFC 6749 scope-token characters, blank-separated.
const SCOPE_RE = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/;
const LFS_PATH = /^\/(.+\.git)\/info\/lfs\/(objects\/batch|objects\/([0-9a-f]{64})|verify|locks\/verify)$/;

function options() {
  const opts = parseCli(NAME, {
    root: true,
    scheme: false,
    realm: false,
    'lfs-dir': false,
    'resource-metadata': false,
    resource: false,
    'require-scope': false,
    audience: false,
  });
  const bad = (msg) => {
    process.stderr.write(`${NAME}: ${msg}\n`);
    process.exit(2);
  };
  const isUrl = (v) => {
    try {
      return Boolean(new URL(v));
    } catch {
      return false;
    }
  };
  opts.metadataIssuers = opts['resource-metadata'] === undefined ? null
    : opts['resource-metadata'].split(',').filter(Boolean);
  if (opts.metadataIssuers && !opts.metadataIssuers.every(isUrl)) bad('bad --resource-metadata');
  if (opts.resource !== undefined && !isUrl(opts.resource)) bad('bad --resource');
  if (opts.audience !== undefined && !isUrl(opts.audience)) bad('bad --audience');
  opts.requireScope = opts['require-scope'];
  if (opts.requireScope !== undefined && !SCOPE_RE.test(opts.requireScope)) {
    bad('bad --require-scope');
  }
  opts.scheme = opts.scheme || 'basic';
  if (!['basic', 'bearer', 'both'].includes(opts.scheme)) {
    process.stderr.write(`${NAME}: bad --scheme: ${opts.scheme} (basic, bearer or both)\n`);
    process.exit(2);
  }
  opts.offers = opts.scheme === 'both' ? ['bearer', 'basic'] : [opts.scheme];
  opts.realm = opts.realm || 'clerk-test';
  if (!/^[A-Za-z0-9 ._-]+$/.test(opts.realm)) {
    process.stderr.write(`${NAME}: bad --realm\n`);
    process.exit(2);
  }
  opts.lfsDir = opts['lfs-dir'] || join(opts.root, '.lfs-objects');
  mkdirSync(opts.lfsDir, { recursive: true });
  return opts;
}

function metadataUrl(port) {
  return `http://127.0.0.1:${port}${METADATA_PATH}`;
}

function challenges(opts, who, port) {
  let error = who.error;
  if (!error && who.scheme === 'bearer' && who.auth === 'inactive') error = 'invalid_token';
  let bearer = `Bearer realm="${opts.realm}"`;
  if (error) bearer += `, error="${error}"`;
  if (error === 'insufficient_scope') bearer += `, scope="${opts.requireScope}"`;
  if (opts.metadataIssuers) bearer += `, resource_metadata="${metadataUrl(port)}"`;
  const out = opts.offers.map((s) => (s === 'basic' ? `Basic realm="${opts.realm}"` : bearer));
  if (error === 'insufficient_scope' && !opts.offers.includes('bearer')) out.unshift(bearer);
  return out;
}

// The server's own rules on a token the provider vouched for: sets
// who.auth/why/error when one fails.
function ownRules(opts, who) {
  if (who.auth !== 'ok') return;
  const id = who.who || {};
  if (opts.audience !== undefined) {
    const aud = Array.isArray(id.aud) ? id.aud : [id.aud];
    if (!aud.includes(opts.audience)) {
      Object.assign(who, { auth: 'inactive', why: 'aud', error: 'invalid_token' });
      return;
    }
  }
  if (opts.requireScope !== undefined) {
    const have = String(id.scope || '').split(' ');
    if (!opts.requireScope.split(' ').every((sc) => have.includes(sc))) {
      Object.assign(who, { auth: 'inactive', why: 'insufficient_scope', error: 'insufficient_scope' });
    }
  }
}

// GET /.well-known/oauth-protected-resource[/PATH] (RFC 9728).
function metadata(opts, req, res, url) {
  const port = req.socket.localPort;
  const rest = url.pathname.slice(METADATA_PATH.length);
  const resource = opts.resource !== undefined ? opts.resource
    : `http://127.0.0.1:${port}${rest || '/'}`;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'max-age=60' });
  res.end(`${JSON.stringify({
    resource,
    authorization_servers: opts.metadataIssuers,
    bearer_methods_supported: ['header'],
  })}\n`);
  return 200;
}

function refuse(opts, res, who, lfs, port) {
  const status = who.auth === 'error' ? 502 : 401;
  const headers = { 'Content-Type': lfs ? LFS_TYPE : 'text/plain' };
  if (status === 401) headers['WWW-Authenticate'] = challenges(opts, who, port);
  res.writeHead(status, headers);
  const message = status === 401 ? 'authentication required'
    : 'cannot check the token with the identity provider';
  res.end(lfs ? `${JSON.stringify({ message })}\n` : `${message}\n`);
  return status;
}

// --- git smart HTTP ---

function cgiEnv(opts, req, url, who) {
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
    REMOTE_USER: who.user,
    AUTH_TYPE: who.scheme === 'bearer' ? 'Bearer' : 'Basic',
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
function runBackend(opts, req, res, url, who) {
  return new Promise((resolve) => {
    const child = spawn('git', ['http-backend'], {
      env: cgiEnv(opts, req, url, who),
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
      process.stderr.write(`${NAME}: cannot run git http-backend: ${err.message}\n`);
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

// --- git-lfs ---

function lfsSend(res, status, body) {
  res.writeHead(status, { 'Content-Type': LFS_TYPE });
  res.end(`${JSON.stringify(body)}\n`);
  return status;
}

function objectPath(opts, oid) {
  return join(opts.lfsDir, oid);
}

function storedSize(opts, oid) {
  try {
    return statSync(objectPath(opts, oid)).size;
  } catch {
    return -1;
  }
}

function validObject(o) {
  return o && typeof o.oid === 'string' && /^[0-9a-f]{64}$/.test(o.oid)
    && Number.isSafeInteger(o.size) && o.size >= 0 && o.size <= LFS_OBJECT_LIMIT;
}

async function lfsBatch(opts, req, res, base) {
  let body;
  try {
    body = await readJson(req, LFS_JSON_LIMIT);
  } catch {
    return lfsSend(res, 400, { message: 'the batch request is not JSON' });
  }
  const { operation, objects } = body || {};
  if (!['upload', 'download'].includes(operation) || !Array.isArray(objects)
      || objects.length > 1000) {
    return lfsSend(res, 422, { message: 'bad batch request' });
  }
  if (Array.isArray(body.transfers) && !body.transfers.includes('basic')) {
    return lfsSend(res, 422, { message: 'only the basic transfer adapter is offered' });
  }
  const out = objects.map((o) => {
    if (!validObject(o)) {
      return { oid: String(o && o.oid), size: 0, error: { code: 422, message: 'bad object' } };
    }
    const href = `${base}/objects/${o.oid}`;
    const have = storedSize(opts, o.oid) === o.size;
    if (operation === 'download') {
      return have
        ? { oid: o.oid, size: o.size, actions: { download: { href, expires_in: 3600 } } }
        : { oid: o.oid, size: o.size, error: { code: 404, message: 'Object does not exist' } };
    }
    if (have) return { oid: o.oid, size: o.size };
    return {
      oid: o.oid,
      size: o.size,
      actions: {
        upload: { href, expires_in: 3600 },
        verify: { href: `${base}/verify`, expires_in: 3600 },
      },
    };
  });
  return lfsSend(res, 200, { transfer: 'basic', objects: out, hash_algo: 'sha256' });
}

function lfsUpload(opts, req, res, oid) {
  return new Promise((resolve) => {
    const tmp = join(opts.lfsDir, `.upload-${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    const file = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
    let size = 0;
    let failed = false;
    const give = (status, message) => {
      if (failed) return;
      failed = true;
      try {
        unlinkSync(tmp);
      } catch {
        // not written
      }
      req.resume();
      resolve(lfsSend(res, status, { message }));
    };
    req.on('data', (c) => {
      size += c.length;
      if (size > LFS_OBJECT_LIMIT) {
        give(413, 'object too large');
        return;
      }
      hash.update(c);
    });
    req.on('error', () => give(400, 'upload interrupted'));
    file.on('error', () => give(500, 'cannot store the object'));
    file.on('finish', () => {
      if (failed) return;
      if (hash.digest('hex') !== oid) {
        give(422, 'the object does not hash to its oid');
        return;
      }
      renameSync(tmp, objectPath(opts, oid));
      res.writeHead(200);
      res.end();
      resolve(200);
    });
    req.pipe(file);
  });
}

function lfsDownload(opts, res, oid) {
  return new Promise((resolve) => {
    if (storedSize(opts, oid) < 0) {
      resolve(lfsSend(res, 404, { message: 'Object does not exist' }));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    const stream = createReadStream(objectPath(opts, oid));
    stream.on('error', () => {
      res.destroy();
      resolve(500);
    });
    stream.on('end', () => resolve(200));
    stream.pipe(res);
  });
}

async function lfsVerify(opts, req, res) {
  let body;
  try {
    body = await readJson(req, LFS_JSON_LIMIT);
  } catch {
    return lfsSend(res, 400, { message: 'the verify request is not JSON' });
  }
  if (!validObject(body) || storedSize(opts, body.oid) !== body.size) {
    return lfsSend(res, 404, { message: 'Object does not exist' });
  }
  return lfsSend(res, 200, { message: 'ok' });
}

async function lfs(opts, req, res, m) {
  const [, repo, what, oid] = m;
  const base = `http://${req.headers.host}/${repo}/info/lfs`;
  if (!existsSync(join(opts.root, repo))) {
    req.resume();
    return lfsSend(res, 404, { message: 'Repository not found' });
  }
  if (what === 'objects/batch' && req.method === 'POST') return lfsBatch(opts, req, res, base);
  if (what === 'verify' && req.method === 'POST') return lfsVerify(opts, req, res);
  if (what === 'locks/verify' && req.method === 'POST') {
    req.resume();
    return lfsSend(res, 200, { ours: [], theirs: [] });
  }
  if (oid && req.method === 'PUT') return lfsUpload(opts, req, res, oid);
  if (oid && req.method === 'GET') {
    req.resume();
    return lfsDownload(opts, res, oid);
  }
  req.resume();
  return lfsSend(res, 405, { message: 'method not allowed' });
}

function lfsKind(m, method) {
  if (!m) return undefined;
  if (m[2] === 'objects/batch') return 'batch';
  if (m[2] === 'verify') return 'verify';
  if (m[2] === 'locks/verify') return 'locks';
  return method === 'PUT' ? 'upload' : 'download';
}

async function main() {
  const opts = options();
  await serve(NAME, opts, async (req, res, url) => {
    if (opts.metadataIssuers && req.method === 'GET'
        && (url.pathname === METADATA_PATH || url.pathname.startsWith(`${METADATA_PATH}/`))) {
      req.resume();
      return { metadata: true, auth: 'none', status: metadata(opts, req, res, url) };
    }
    const m = LFS_PATH.exec(url.pathname);
    const who = await authenticate(opts, opts.offers, req.headers.authorization);
    ownRules(opts, who);
    const entry = {
      service: url.searchParams.get('service') || undefined,
      lfs: lfsKind(m, req.method),
      scheme: who.scheme,
      auth: who.auth,
      why: who.why,
      ...who.who,
    };
    if (who.auth !== 'ok') {
      req.resume();
      return { ...entry, status: refuse(opts, res, who, Boolean(m), req.socket.localPort) };
    }
    const status = m ? await lfs(opts, req, res, m) : await runBackend(opts, req, res, url, who);
    return { ...entry, status };
  });
}

main().catch((err) => fail(NAME, err));
