#!/usr/bin/env node
// A sparse Cargo registry on 127.0.0.1 with "auth-required": true, for the
// integration tests: config.json, index files from --root DIR/index and
// crate downloads from DIR/crates/NAME-VERSION.crate. Every request needs
// "Authorization: Bearer T" (cargo sends the provider's token verbatim)
// with a T gate.js accepts (a JWT access token of the provider, or an
// opaque one its introspection calls active), else 401 with
// WWW-Authenticate: Cargo.
//
//   node tests/peers/cargo-registry.js --port N --root DIR --issuer URL
//       --client-id ID [--log FILE]

import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';

import { bearerToken, checkToken, fail, parseCli, serve } from './gate.js';

const NAME = 'cargo-registry.js';

async function main() {
  const opts = parseCli(NAME, { root: true });
  let base = '';
  const url = await serve(NAME, opts, async (req, res, u) => {
    req.resume();
    const { auth, why } = await checkToken(opts, bearerToken(req.headers.authorization));
    if (auth !== 'ok') {
      res.writeHead(auth === 'error' ? 502 : 401, {
        'Content-Type': 'text/plain',
        'WWW-Authenticate': `Cargo login_url="${base}/me"`,
      });
      res.end('authentication required\n');
      return { status: auth === 'error' ? 502 : 401, auth, why };
    }
    if (u.pathname === '/index/config.json') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ dl: `${base}/api/v1/crates`, api: base, 'auth-required': true }));
      return { status: 200, auth, why };
    }
    let file = null;
    const dl = /^\/api\/v1\/crates\/([a-z0-9_-]+)\/([0-9A-Za-z.+-]+)\/download$/.exec(u.pathname);
    if (dl) file = join(opts.root, 'crates', `${dl[1]}-${dl[2]}.crate`);
    else if (u.pathname.startsWith('/index/')) {
      const rel = normalize(u.pathname.slice('/index/'.length));
      if (!rel.startsWith('..')) file = join(opts.root, 'index', rel);
    }
    try {
      if (!file) throw new Error('no such path');
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.end(body);
      return { status: 200, auth, why };
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
      return { status: 404, auth, why };
    }
  });
  base = url;
}

main().catch((err) => fail(NAME, err));
