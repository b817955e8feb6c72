#!/usr/bin/env node
// A Kubernetes API endpoint on 127.0.0.1 for the integration tests, just
// enough for `kubectl get --raw /api` and `kubectl version`: every request
// needs "Authorization: Bearer T" with a T gate.js accepts (a JWT access
// token of the provider, or an opaque one its introspection calls active),
// else 401 with a Status object.
// kubectl sends credentials over TLS only, hence the certificate.
//
//   node tests/peers/kube-api.js --port N --issuer URL --client-id ID
//       --tls-cert PEM --tls-key PEM [--log FILE]

import { bearerToken, checkToken, fail, parseCli, serve } from './gate.js';

const NAME = 'kube-api.js';

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

async function main() {
  const opts = parseCli(NAME);
  let address = '127.0.0.1';
  const url = await serve(NAME, opts, async (req, res, u) => {
    req.resume();
    const { auth, why } = await checkToken(opts, bearerToken(req.headers.authorization));
    if (auth !== 'ok') {
      send(res, 401, { kind: 'Status', apiVersion: 'v1', metadata: {},
        status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
      return { status: 401, auth, why };
    }
    if (u.pathname === '/api') {
      send(res, 200, { kind: 'APIVersions', versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: address }] });
      return { status: 200, auth, why };
    }
    if (u.pathname === '/version') {
      send(res, 200, { major: '1', minor: '20', gitVersion: 'v1.20.0-clerk-test',
        platform: 'linux/amd64' });
      return { status: 200, auth, why };
    }
    send(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'not found', reason: 'NotFound', code: 404 });
    return { status: 404, auth, why };
  });
  address = new URL(url).host;
}

main().catch((err) => fail(NAME, err));
