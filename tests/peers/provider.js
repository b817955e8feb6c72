#!/usr/bin/env node
// A real OpenID Provider (npm oidc-provider 8.8) on 127.0.0.1 with Clerk's
// paths, behaving as Clerk's OAuth server does, for the integration tests.
//
//   node tests/peers/provider.js --port N [--access-ttl SECONDS]
//       [--access-format jwt|opaque] [--no-consent] [--log FILE]
//       [--no-device] [--iss] [--no-offline-access] [--redirect-uri URI]
//       [--date-offset SECONDS] [--client-id ID] [--resource URL]...
//       [--extra-scopes "S1 S2"]
//
// --port 0 picks a free port. When listening it prints exactly one line,
// "ready http://127.0.0.1:PORT", on stdout; that URL is the issuer, byte for
// byte. Everything else it says goes to stderr.
//
// --log FILE appends one JSON line per HTTP request,
//   {"t":ms,"method":..,"path":..,"status":..,"grant_type":..,"error":..}
// (grant_type only for the token endpoint, error only for error answers; no
// token, code or verifier is ever written); the authorization endpoint's
// lines add what was asked for: "client_id", "scope", "prompt" and
// "resource" (null when absent). One line per provider event,
//   {"t":ms,"event":"grant.revoked"|"server_error"|...,...}.
//
// The one client is "clerk-credential-test", or --client-id ID (two
// providers, two clients: tests of several accounts).
//
// As Clerk does by default:
// - every sign-in shows a consent screen (Allow / Deny) after the login
//   form; Deny ends the authorization with error=access_denied. The pages
//   are served here (no JavaScript): the login form has input[name=login],
//   input[name=password] and button.login-submit; the consent form has
//   button[name=decision][value=allow|deny]. --no-consent grants the scopes
//   up front (an application with the consent screen turned off).
// - access tokens are JWTs (header typ "at+jwt", RS256, kid "rs256-test";
//   claims iss, sub, aud, client_id, scope, jti, iat, exp) living one day
//   (--access-ttl changes that); --access-format opaque issues opaque ones
//   instead (Clerk's older applications). oidc-provider issues JWT access
//   tokens only for a resource server, so every authorization gets the one
//   resource RESOURCE by default. --resource URL (repeatable) registers
//   further resource servers (RFC 8707): an authorization, code exchange or
//   refresh with resource=URL for one of them gets a JWT whose aud is URL;
//   an unregistered resource is invalid_target, as Clerk refuses it.
//   The introspection endpoint answers for
//   JWT access tokens as for opaque ones: active while unexpired and while
//   their grant lives (oidc-provider does not store JWT access tokens, so
//   this file remembers what it issued); revoking one makes it inactive.
// - token_type is "bearer" in lower case;
// - refresh tokens rotate, never expire in practice (a year), and replaying
//   a used one revokes the grant (invalid_grant for every token of it);
// - ID tokens are RS256 JWTs with a kid, signed with a key made at start.
// - --extra-scopes "S1 S2": custom scopes the client may ask for (e.g.
//   repo:write). Asked for, they are on the consent screen, granted, and in
//   the access token's scope claim (and introspection's scope); not asked
//   for, not granted.
// - prompt=login shows the login form even with a live browser session
//   (whose cookie lasts, so a persistent browser profile signs in again
//   silently without it); a prompt=login request keeps offline_access.
// As Clerk, discovery does not advertise
// authorization_response_iss_parameter_supported and the authorization
// response carries no iss. oidc-provider 8 has no switch for that (RFC 9207
// is always on), so the redirect and the discovery document are rewritten;
// --iss keeps oidc-provider's RFC 9207 behaviour instead.
//
// Faults of a set-up, for `doctor`:
// --no-offline-access: the application may not ask for offline_access (its
//   client scope lacks it: the authorization answers error=invalid_scope);
// --redirect-uri URI: the application's one redirect URI, instead of
//   http://127.0.0.1/callback (any loopback port);
// --date-offset SECONDS: every answer's Date header is that far off (a
//   skewed clock as the provider sees it; tokens are not affected).
//
// SIGTERM or SIGINT closes the server and exits 0.

import {
  createPublicKey, generateKeyPairSync, randomBytes, verify as cryptoVerify,
} from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider, { errors, interactionPolicy } from 'oidc-provider';

// oidc-provider prints its notices with console.info (stdout); stdout must
// carry nothing but the ready line.
console.info = (...args) => console.error(...args);

const DEFAULT_CLIENT_ID = 'clerk-credential-test';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const GRANTED_SCOPE = 'openid profile email offline_access';
// The resource server (audience) of the JWT access tokens.
const RESOURCE = 'urn:clerk-credential-test:api';
const FORM_LIMIT = 16 * 1024;

function usage(msg) {
  if (msg) process.stderr.write(`provider.js: ${msg}\n`);
  process.stderr.write('usage: provider.js --port N [--access-ttl SECONDS] '
    + '[--access-format jwt|opaque] [--no-consent] [--log FILE] [--no-device] '
    + '[--iss] [--no-offline-access] [--redirect-uri URI] '
    + '[--date-offset SECONDS] [--client-id ID] [--resource URL]... '
    + '[--extra-scopes "S1 S2"]\n');
  process.exit(2);
}

function parseCli() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        'access-ttl': { type: 'string', default: String(24 * 3600) },
        'access-format': { type: 'string', default: 'jwt' },
        'no-consent': { type: 'boolean', default: false },
        log: { type: 'string' },
        'no-device': { type: 'boolean', default: false },
        iss: { type: 'boolean', default: false },
        'no-offline-access': { type: 'boolean', default: false },
        'redirect-uri': { type: 'string', default: 'http://127.0.0.1/callback' },
        'date-offset': { type: 'string', default: '0' },
        'client-id': { type: 'string', default: DEFAULT_CLIENT_ID },
        resource: { type: 'string', multiple: true, default: [] },
        'extra-scopes': { type: 'string', default: '' },
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
  const dateOffset = Number(values['date-offset']);
  if (!Number.isInteger(dateOffset)) {
    usage(`bad --date-offset: ${values['date-offset']}`);
  }
  if (!['jwt', 'opaque'].includes(values['access-format'])) {
    usage(`bad --access-format: ${values['access-format']}`);
  }
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(values['client-id'])) {
    usage(`bad --client-id: ${values['client-id']}`);
  }
  for (const r of values.resource) {
    let url;
    try {
      url = new URL(r);
    } catch {
      usage(`bad --resource: ${r}`);
    }
    if (url.hash || r.includes('#')) usage(`bad --resource (fragment): ${r}`);
  }
  const extraScopes = values['extra-scopes'].split(/\s+/).filter(Boolean);
  for (const sc of extraScopes) {
    if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(sc) || GRANTED_SCOPE.split(' ').includes(sc)) {
      usage(`bad --extra-scopes: ${sc}`);
    }
  }
  return {
    port,
    clientId: values['client-id'],
    resources: [RESOURCE, ...values.resource],
    extraScopes,
    accessTtl: ttl,
    accessFormat: values['access-format'],
    consent: !values['no-consent'],
    log: values.log,
    device: !values['no-device'],
    iss: values.iss,
    offlineAccess: !values['no-offline-access'],
    redirectUri: values['redirect-uri'],
    dateOffset,
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

// The scopes a resource server of this provider grants: the usual ones and
// --extra-scopes.
function resourceScope(opts) {
  return [GRANTED_SCOPE, ...opts.extraScopes].join(' ');
}

// With --no-consent: the scopes are granted up front, so there is never a
// consent page (a Clerk application with its consent screen turned off):
// the usual ones, the --extra-scopes asked for, for the resource asked for.
async function firstPartyGrant(ctx, opts) {
  const { oidc } = ctx;
  const grantId = oidc.result?.consent?.grantId
    || oidc.session.grantIdFor(oidc.client.clientId);
  let grant;
  if (grantId) {
    grant = await oidc.provider.Grant.find(grantId);
    if (grant && grant.accountId !== oidc.session.accountId) grant = undefined;
  }
  if (!grant) {
    grant = new oidc.provider.Grant({
      clientId: oidc.client.clientId,
      accountId: oidc.session.accountId,
    });
    grant.addOIDCScope(GRANTED_SCOPE);
    grant.addResourceScope(RESOURCE, GRANTED_SCOPE);
  }
  const asked = String(oidc.params?.scope || '').split(' ');
  const extra = opts.extraScopes.filter((sc) => asked.includes(sc));
  const wanted = [GRANTED_SCOPE, ...extra].join(' ');
  let resources = oidc.params?.resource || [];
  if (!Array.isArray(resources)) resources = [resources];
  for (const r of resources.length ? resources : [RESOURCE]) {
    if (opts.resources.includes(r)) grant.addResourceScope(r, wanted);
  }
  await grant.save();
  return grant;
}

// oidc-provider asks native clients for consent on every authorization
// ("native_client_prompt"), as Clerk does by default; --no-consent drops it.
function promptPolicy(opts) {
  const policy = interactionPolicy.base();
  if (!opts.consent) policy.get('consent').checks.remove('native_client_prompt');
  return policy;
}

function configuration(opts, keys) {
  const grantTypes = ['authorization_code', 'refresh_token'];
  if (opts.device) grantTypes.push(DEVICE_GRANT);
  return {
    clients: [{
      client_id: opts.clientId,
      client_name: 'clerk-credential tests',
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      redirect_uris: [opts.redirectUri],
      response_types: ['code'],
      grant_types: grantTypes,
      ...(opts.offlineAccess ? {} : { scope: 'openid profile email' }),
    }],
    jwks: { keys },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    responseTypes: ['code'],
    findAccount,
    ...(opts.consent ? {} : { loadExistingGrant: (ctx) => firstPartyGrant(ctx, opts) }),
    interactions: {
      policy: promptPolicy(opts),
      url: (ctx, interaction) => `/interaction/${interaction.uid}`,
    },
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
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, indicator) => {
          if (!opts.resources.includes(indicator)) throw new errors.InvalidTarget();
          return {
            scope: resourceScope(opts),
            accessTokenTTL: opts.accessTtl,
            accessTokenFormat: opts.accessFormat,
            ...(opts.accessFormat === 'jwt'
              ? { jwt: { sign: { alg: 'RS256', kid: 'rs256-test' } } } : {}),
          };
        },
      },
      deviceFlow: { enabled: opts.device },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
    },
    ttl: {
      AccessToken: opts.accessTtl,
      AuthorizationCode: 60,
      DeviceCode: 600,
      Grant: 365 * 24 * 3600,
      IdToken: 3600,
      Interaction: 600,
      // Clerk's refresh tokens do not expire; a year is forever here.
      RefreshToken: 365 * 24 * 3600,
      Session: 14 * 24 * 3600,
    },
  };
}

// --- the sign-in pages (login, then Clerk's consent screen) ---

function escapeHtml(v) {
  return String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:28em;margin:3em auto}
button{margin:.5em .5em 0 0;padding:.5em 1.5em}</style></head>
<body>${body}</body></html>
`;
}

function loginPage(uid) {
  return page('Sign in', `<h1>Sign in</h1>
<form autocomplete="off" action="/interaction/${uid}" method="post">
<input type="hidden" name="prompt" value="login">
<p><input required type="text" name="login" placeholder="Enter any login" autofocus></p>
<p><input required type="password" name="password" placeholder="and password"></p>
<button type="submit" class="login-submit">Sign in</button>
</form>`);
}

const SCOPE_TEXT = {
  openid: 'Verify your identity',
  profile: 'View your name',
  email: 'View your email address',
  offline_access: 'Stay signed in',
};

function consentPage(uid, client, account, scopes) {
  const name = escapeHtml(client.clientName || client.clientId);
  const items = scopes.map((s) => `<li>${escapeHtml(SCOPE_TEXT[s] || s)}</li>`).join('\n');
  return page(`Authorize ${client.clientName || client.clientId}`, `<h1>${name}</h1>
<p>${name} wants to access your account (${escapeHtml(account)}).</p>
<p>This will allow ${name} to:</p>
<ul>
${items}
</ul>
<form action="/interaction/${uid}" method="post">
<input type="hidden" name="prompt" value="consent">
<button type="submit" name="decision" value="deny" class="consent-deny">Deny</button>
<button type="submit" name="decision" value="allow" class="consent-allow">Allow</button>
</form>`);
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => {
      size += c.length;
      if (size > FORM_LIMIT) {
        reject(new Error('form too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function sendHtml(res, status, html) {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(html);
}

async function grantConsent(provider, details) {
  const { prompt: { details: missing }, grantId, session, params } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scope] of Object.entries(missing.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scope.join(' '));
  }
  return grant.save();
}

// GET /interaction/UID: the login form or the consent screen;
// POST /interaction/UID: their answers; GET /interaction/UID/abort: cancel.
// Returns the status written.
async function interaction(provider, req, res) {
  const m = /^\/interaction\/([A-Za-z0-9_-]+)(\/abort)?$/.exec(new URL(req.url, 'http://x').pathname);
  if (!m) {
    sendHtml(res, 404, page('Not found', '<p>Not found</p>'));
    return 404;
  }
  const uid = m[1];
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    sendHtml(res, 400, page('Error', `<p>${escapeHtml(err.message)}</p>`));
    return 400;
  }
  if (details.uid !== uid) {
    sendHtml(res, 400, page('Error', '<p>interaction mismatch</p>'));
    return 400;
  }
  const prompt = details.prompt.name;
  if (m[2]) {
    await provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
    return res.statusCode;
  }
  if (req.method === 'GET') {
    if (prompt === 'login') {
      sendHtml(res, 200, loginPage(uid));
    } else if (prompt === 'consent') {
      const client = await provider.Client.find(details.params.client_id);
      const scopes = String(details.params.scope || '').split(' ').filter(Boolean);
      sendHtml(res, 200, consentPage(uid, client, details.session.accountId, scopes));
    } else {
      sendHtml(res, 501, page('Error', '<p>not implemented</p>'));
    }
    return res.statusCode;
  }
  if (req.method !== 'POST') {
    sendHtml(res, 405, page('Error', '<p>method not allowed</p>'));
    return 405;
  }
  const form = await readForm(req);
  if (form.get('prompt') !== prompt) {
    sendHtml(res, 400, page('Error', '<p>this page is out of date</p>'));
    return 400;
  }
  let result;
  if (prompt === 'login') {
    const login = form.get('login') || '';
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(login)) {
      sendHtml(res, 200, loginPage(uid));
      return 200;
    }
    result = { login: { accountId: login } };
  } else if (form.get('decision') === 'allow') {
    result = { consent: { grantId: await grantConsent(provider, details) } };
  } else if (form.get('decision') === 'deny') {
    result = { error: 'access_denied', error_description: 'The user denied access' };
  } else {
    sendHtml(res, 400, page('Error', '<p>no decision</p>'));
    return 400;
  }
  await provider.interactionFinished(req, res, result,
    { mergeWithLastSubmission: prompt === 'consent' && !result.error });
  return res.statusCode;
}

// --- JWT access tokens, as the introspection and revocation endpoints see them ---

function b64json(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

// oidc-provider does not store JWT access tokens, so its introspection and
// revocation endpoints would not know them. Remember what was issued (jti
// -> the token's stored form) and let AccessToken.find() verify a JWT
// against the provider's own key and look it up there; introspection then
// checks expiry and the grant as for an opaque token, and revocation
// destroys it. The userinfo endpoint takes them too, as Clerk's does.
function trackJwtAccessTokens(provider, keys) {
  const { AccessToken } = provider;
  const issued = new Map();
  const publicKeys = new Map(keys.filter((k) => k.kty === 'RSA').map((k) => {
    const { d, p, q, dp, dq, qi, ...pub } = k; // eslint-disable-line no-unused-vars
    return [k.kid, createPublicKey({ key: pub, format: 'jwk' })];
  }));
  provider.on('access_token.issued', (token) => {
    const now = Math.floor(Date.now() / 1000);
    for (const [jti, stored] of issued) if (stored.exp <= now) issued.delete(jti);
    const iat = token.iat || now;
    const stored = { jti: token.jti, kind: 'AccessToken', iat, exp: token.exp || iat + token.expiration };
    for (const key of AccessToken.IN_PAYLOAD) {
      if (token[key] !== undefined && typeof token[key] !== 'function') stored[key] = token[key];
    }
    issued.set(token.jti, stored);
  });
  provider.on('access_token.destroyed', (token) => issued.delete(token.jti));
  const find = AccessToken.find.bind(AccessToken);
  AccessToken.find = async (value, options = {}) => {
    const parts = typeof value === 'string' ? value.split('.') : [];
    if (parts.length !== 3) return find(value, options);
    try {
      const header = b64json(parts[0]);
      const payload = b64json(parts[1]);
      const key = publicKeys.get(header.kid);
      if (header.alg !== 'RS256' || header.typ !== 'at+jwt' || !key) return undefined;
      const ok = cryptoVerify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`),
        key, Buffer.from(parts[2], 'base64url'));
      const stored = ok && payload.iss === provider.issuer && issued.get(payload.jti);
      if (!stored) return undefined;
      if (typeof payload.exp !== 'number' || (!options.ignoreExpiration
          && payload.exp <= Math.floor(Date.now() / 1000))) {
        return undefined;
      }
      // Without its audience: Clerk's userinfo endpoint takes the JWT
      // access token, oidc-provider's refuses a token with an audience.
      const { aud, ...model } = stored; // eslint-disable-line no-unused-vars
      return AccessToken.instantiate({ ...model, iat: payload.iat, exp: payload.exp });
    } catch {
      return undefined;
    }
  };
}

// Clerk answers token_type "bearer" in lower case.
function lowerCaseTokenType(provider) {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/oauth/token' && ctx.body && typeof ctx.body === 'object'
        && typeof ctx.body.token_type === 'string') {
      ctx.body.token_type = ctx.body.token_type.toLowerCase();
    }
  });
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

// What an authorization request asked for, as the client sent it (before
// any rewriting here): no state, challenge or redirect.
function authorizationAsked(ctx) {
  const q = ctx.method === 'GET' ? ctx.query : {};
  const one = (v) => (Array.isArray(v) ? v.join(' ') : v);
  let resource = q.resource ?? null;
  if (typeof resource === 'string') resource = [resource];
  return {
    client_id: one(q.client_id) ?? null,
    scope: one(q.scope) ?? null,
    prompt: one(q.prompt) ?? null,
    resource,
  };
}

function logRequests(provider, log) {
  provider.use(async (ctx, next) => {
    const asked = ctx.path === '/oauth/authorize' ? authorizationAsked(ctx) : {};
    try {
      await next();
    } finally {
      const entry = {
        method: ctx.method, path: ctx.path, status: ctx.status, ...asked,
      };
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

// --no-offline-access: the client's scope lacks offline_access, but
// oidc-provider drops that scope silently from a request without
// prompt=consent. An application that may not have refresh tokens refuses
// the request instead (error=invalid_scope back at the redirect URI): ask
// oidc-provider's own scope check by adding prompt=consent to such a
// request.
function refuseOfflineAccess(provider) {
  provider.use(async (ctx, next) => {
    const scopes = String(ctx.query.scope || '').split(' ');
    if (ctx.method === 'GET' && ctx.path === '/oauth/authorize'
        && scopes.includes('offline_access')) {
      ctx.query = { ...ctx.query, prompt: 'consent' };
    }
    await next();
  });
}

// oidc-provider drops offline_access from a request whose prompt lacks
// consent, so prompt=login would cost the refresh token; Clerk keeps it.
// With the consent screen on (it shows on every sign-in anyway) ask for
// it explicitly.
function keepOfflineAccessOnLogin(provider) {
  provider.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/oauth/authorize'
        && typeof ctx.query.prompt === 'string') {
      const prompts = ctx.query.prompt.split(' ');
      if (prompts.includes('login') && !prompts.includes('consent')) {
        ctx.query = { ...ctx.query, prompt: [...prompts, 'consent'].join(' ') };
      }
    }
    await next();
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
  const keys = signingKeys();
  const provider = new Provider(issuer, configuration(opts, keys));
  logRequests(provider, log);
  if (!opts.iss) stripIss(provider);
  if (!opts.offlineAccess) refuseOfflineAccess(provider);
  if (opts.consent) keepOfflineAccessOnLogin(provider);
  lowerCaseTokenType(provider);
  trackJwtAccessTokens(provider, keys);
  logEvents(provider, log);
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (opts.dateOffset) {
      res.setHeader('Date', new Date(Date.now() + opts.dateOffset * 1000).toUTCString());
    }
    if (!req.url.startsWith('/interaction/')) {
      callback(req, res);
      return;
    }
    const path = new URL(req.url, issuer).pathname;
    interaction(provider, req, res).then((status) => {
      log({ method: req.method, path, status });
    }).catch((err) => {
      process.stderr.write(`provider.js: interaction: ${err.stack}\n`);
      if (!res.headersSent) sendHtml(res, 500, page('Error', '<p>server error</p>'));
      else res.end();
      log({ method: req.method, path, status: 500, error: 'server_error' });
    });
  });

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
