#!/usr/bin/env node
// An authenticating front for a docker registry (Debian's docker-registry)
// on 127.0.0.1, for the integration tests: every request needs HTTP Basic
// auth whose password is a token gate.js accepts (a JWT access token of the
// provider, or an opaque one its introspection calls active), as a registry
// behind a Clerk-aware gateway would; anything else
// gets 401 with WWW-Authenticate: Basic and docker's UNAUTHORIZED error.
// Authenticated requests are relayed to --upstream unchanged (Host kept,
// so the registry's Location headers point back here). --introspect asks
// the provider about every token, JWTs too, and wants its client_id to be
// --client-id. Each log line names whose token came (iss, client_id, sub,
// scope), never the token.
//
//   node tests/peers/registry-front.js --port N --upstream URL
//       --issuer URL --client-id ID [--log FILE] [--introspect]

import { request } from 'node:http';

import { basicPassword, checkToken, fail, parseCli, serve } from './gate.js';

const NAME = 'registry-front.js';
const REALM = 'clerk-test-registry';

function refuse(res, auth, why, who) {
  const status = auth === 'error' ? 502 : 401;
  const headers = {
    'Content-Type': 'application/json',
    'Docker-Distribution-API-Version': 'registry/2.0',
  };
  if (status === 401) headers['WWW-Authenticate'] = `Basic realm="${REALM}"`;
  res.writeHead(status, headers);
  res.end(`${JSON.stringify({ errors: [{ code: 'UNAUTHORIZED',
    message: 'authentication required', detail: null }] })}\n`);
  return { status, auth, why, ...who };
}

function relay(opts, req, res, auth, why, who) {
  return new Promise((resolve) => {
    const headers = { ...req.headers };
    delete headers.authorization;
    const up = request(`${opts.upstream}${req.url}`, { method: req.method, headers }, (ur) => {
      res.writeHead(ur.statusCode, ur.headers);
      ur.pipe(res);
      ur.on('end', () => resolve({ status: ur.statusCode, auth, why, ...who }));
    });
    up.on('error', (err) => {
      process.stderr.write(`${NAME}: upstream: ${err.message}\n`);
      if (!res.headersSent) res.writeHead(502);
      res.end();
      resolve({ status: 502, auth, why, ...who });
    });
    req.pipe(up);
  });
}

async function main() {
  const opts = parseCli(NAME, { upstream: true });
  opts.upstream = opts.upstream.replace(/\/+$/, '');
  await serve(NAME, opts, async (req, res) => {
    const { auth, why, ...who } = await checkToken(opts,
      basicPassword(req.headers.authorization));
    if (auth !== 'ok') {
      req.resume();
      return refuse(res, auth, why, who);
    }
    return relay(opts, req, res, auth, why, who);
  });
}

main().catch((err) => fail(NAME, err));
