#!/usr/bin/env node
// A real OpenID Provider (npm oidc-provider 8.8) on 127.0.0.1 with Clerk's
// paths, for the integration tests.
//
//   node tests/peers/provider.js --port N [--access-ttl SECONDS]
//       [--log FILE] [--no-device] [--no-iss]
//
// --port 0 picks a free port. When listening it prints exactly one line,
// "ready http://127.0.0.1:PORT", on stdout; that URL is the issuer, byte for
// byte. Everything else it says goes to stderr.
//
// --log FILE appends one JSON line per HTTP request,
//   {"t":ms,"method":..,"path":..,"status":..,"grant_type":..,"error":..}
// (grant_type only for the token endpoint, error only for error answers; no
// token, code or verifier is ever written), and one line per provider event,
//   {"t":ms,"event":"grant.revoked"|"server_error"|...,...}.
//
// Access tokens are opaque (oidc-provider's default without resource
// indicators); ID tokens are RS256 JWTs signed with a key made at start.
// --no-iss makes the provider behave like Clerk: discovery does not advertise
// authorization_response_iss_parameter_supported and the authorization
// response carries no iss. oidc-provider 8 has no switch for that (RFC 9207
// is always on), so the redirect and the discovery document are rewritten.
//
// SIGTERM or SIGINT closes the server and exits 0.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider, { interactionPolicy } from 'oidc-provider';

// oidc-provider prints its notices with console.info (stdout); stdout must
// carry nothing but the ready line.
console.info = (...args) => console.error(...args);

const CLIENT_ID = 'clerk-credential-test';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const GRANTED_SCOPE = 'openid profile email offline_access';

function usage(msg) {
  if (msg) process.stderr.write(`provider.js: ${msg}\n`);
  process.stderr.write('usage: provider.js --port N [--access-ttl SECONDS] '
    + '[--log FILE] [--no-device] [--no-iss]\n');
  process.exit(2);
}

function parseCli() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        'access-ttl': { type: 'string', default: '3600' },
        log: { type: 'string' },
        'no-device': { type: 'boolean', default: false },
        'no-iss': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usage(err.message);
  }
  if (values.help) usage();
  if (values.port === undefined) usage('--port is required');
  const port = Number(values.port);
  const ttl = Number(values['access-ttl']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    usage(`bad --port: ${values.port}`);
  }
  if (!Number.isInteger(ttl) || ttl < 1) {
    usage(`bad --access-ttl: ${values['access-ttl']}`);
  }
  return {
    port,
    accessTtl: ttl,
    log: values.log,
    device: !values['no-device'],
    iss: !values['no-iss'],
  };
}

function makeLogger(file) {
  const t0 = Date.now();
  return (obj) => {
    if (!file) return;
    const line = `${JSON.stringify({ t: Date.now() - t0, ...obj })}\n`;
    // One write(2) on an O_APPEND descriptor per line, so that concurrent
    // readers see whole lines.
    appendFileSync(file, line);
  };
}

function signingKeys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return [
    {
      ...rsa.privateKey.export({ format: 'jwk' }),
      kid: 'rs256-test', use: 'sig', alg: 'RS256',
    },
    {
      ...ec.privateKey.export({ format: 'jwk' }),
      kid: 'es256-test', use: 'sig', alg: 'ES256',
    },
  ];
}

function capitalize(s) {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

async function findAccount(ctx, id) {
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        email: `${id}@example.test`,
        email_verified: true,
        name: `${capitalize(id)} Test`,
      };
    },
  };
}

// A first-party application: the scopes are granted up front, so there is
// never a consent page.
async function loadExistingGrant(ctx) {
  const { oidc } = ctx;
  const grantId = oidc.result?.consent?.grantId
    || oidc.session.grantIdFor(oidc.client.clientId);
  if (grantId) {
    const grant = await oidc.provider.Grant.find(grantId);
    if (grant && grant.accountId === oidc.session.accountId) return grant;
  }
  const grant = new oidc.provider.Grant({
    clientId: oidc.client.clientId,
    accountId: oidc.session.accountId,
  });
  grant.addOIDCScope(GRANTED_SCOPE);
  await grant.save();
  return grant;
}

// oidc-provider asks native clients for consent on every authorization
// ("native_client_prompt"); Clerk does not for its own OAuth applications.
function promptPolicy() {
  const policy = interactionPolicy.base();
  policy.get('consent').checks.remove('native_client_prompt');
  return policy;
}

function configuration(opts) {
  const grantTypes = ['authorization_code', 'refresh_token'];
  if (opts.device) grantTypes.push(DEVICE_GRANT);
  return {
    clients: [{
      client_id: CLIENT_ID,
      client_name: 'clerk-credential tests',
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/callback'],
      response_types: ['code'],
      grant_types: grantTypes,
    }],
    jwks: { keys: signingKeys() },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    responseTypes: ['code'],
    findAccount,
    loadExistingGrant,
    interactions: { policy: promptPolicy() },
    issueRefreshToken: async () => true,
    // offline_access is dropped from requests without prompt=consent, so
    // without this the tokens would die with the browser session.
    expiresWithSession: async () => false,
    rotateRefreshToken: true,
    pkce: { methods: ['S256'], required: () => true },
    routes: {
      authorization: '/oauth/authorize',
      token: '/oauth/token',
      userinfo: '/oauth/userinfo',
      revocation: '/oauth/token/revoke',
      jwks: '/.well-known/jwks.json',
      introspection: '/oauth/token_info',
      device_authorization: '/oauth/device_authorization',
      code_verification: '/oauth/device',
    },
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: opts.device },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
    },
    ttl: {
      AccessToken: opts.accessTtl,
      AuthorizationCode: 60,
      DeviceCode: 600,
      Grant: 14 * 24 * 3600,
      IdToken: 3600,
      Interaction: 600,
      RefreshToken: 14 * 24 * 3600,
      Session: 14 * 24 * 3600,
    },
  };
}

// Clerk sends no iss in the authorization response and does not advertise
// RFC 9207; make this provider do the same.
function stripIss(provider) {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/.well-known/openid-configuration'
        && ctx.body && typeof ctx.body === 'object') {
      delete ctx.body.authorization_response_iss_parameter_supported;
      return;
    }
    const location = ctx.response.get('location');
    if (ctx.status >= 300 && ctx.status < 400 && location) {
      let url;
      try {
        url = new URL(location);
      } catch {
        return;
      }
      if (url.searchParams.has('iss')) {
        url.searchParams.delete('iss');
        ctx.set('location', url.href);
      }
    }
  });
}

function logRequests(provider, log) {
  provider.use(async (ctx, next) => {
    try {
      await next();
    } finally {
      const entry = { method: ctx.method, path: ctx.path, status: ctx.status };
      if (ctx.path === '/oauth/token') {
        const grantType = ctx.oidc?.body?.grant_type;
        entry.grant_type = typeof grantType === 'string' ? grantType : null;
      }
      if (ctx.status >= 400 && ctx.body && typeof ctx.body === 'object'
          && typeof ctx.body.error === 'string') {
        entry.error = ctx.body.error;
      }
      log(entry);
    }
  });
}

const EVENTS = [
  'grant.success', 'grant.error', 'grant.revoked',
  'refresh_token.consumed', 'refresh_token.destroyed',
  'access_token.destroyed', 'authorization.accepted', 'authorization.error',
  'revocation.error', 'introspection.error', 'userinfo.error',
  'end_session.error', 'interaction.started', 'interaction.ended',
];

function logEvents(provider, log) {
  for (const name of EVENTS) {
    provider.on(name, (ctx, arg) => {
      const entry = { event: name };
      if (name === 'interaction.started' && arg && arg.name) {
        entry.prompt = arg.name;
        entry.reasons = arg.reasons;
      }
      if (arg instanceof Error) {
        entry.error = arg.error || arg.name;
        entry.detail = arg.error_description || arg.message;
      }
      log(entry);
    });
  }
  provider.on('server_error', (ctx, err) => {
    log({ event: 'server_error', error: err.name, detail: err.message });
    process.stderr.write(`provider.js: server_error: ${err.stack}\n`);
  });
}

async function main() {
  const opts = parseCli();
  const log = makeLogger(opts.log);
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', resolve);
  });
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration(opts));
  logRequests(provider, log);
  if (!opts.iss) stripIss(provider);
  logEvents(provider, log);
  server.on('request', provider.callback());

  let closing = false;
  const stop = (sig) => {
    if (closing) return;
    closing = true;
    process.stderr.write(`provider.js: ${sig}, closing\n`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  process.stdout.write(`ready ${issuer}\n`);
}

main().catch((err) => {
  process.stderr.write(`provider.js: ${err.stack || err}\n`);
  process.exit(1);
});
