// userphoto-server against a real OpenID Connect provider: panva's oidc-provider (OpenID
// Certified), configured as a tenant of Microsoft Entra ID would issue tokens for the photo API
// (delegated tokens with `upn` and `scp`, application tokens with `roles` and `idtyp: app`),
// started on loopback in this process. Run by server/tests/oidc.sh:
//
//   node oidc.mjs SERVER_BINARY PHOTO
//
// Valid tokens all come from the provider, through its own grants: the authorization code flow
// (PKCE, the provider's development login and consent pages) for users, client credentials for
// applications. The hostile ones are crafted here, as an attacker would: `alg: none`, HS256
// keyed with the provider's public key, the provider's own key with a lapsed `exp` or a future
// `nbf`, a key the provider never published.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import {
  randomBytes, createHash, createPrivateKey, createPublicKey,
} from 'node:crypto';

import Provider from 'oidc-provider';
import * as jose from 'jose';

const [serverBinary, photoPath] = process.argv.slice(2);
const photo = readFileSync(photoPath);
const AUDIENCE = 'api://userphoto';
const SCOPES = 'User.Read User.ReadWrite User.ReadBasic.All User.Read.All User.ReadWrite.All';
const REDIRECT = 'http://127.0.0.1:9/callback';
// Application permissions of each application client, as an Entra ID app registration grants them.
const APP_ROLES = {
  'photo-sync': ['ProfilePhoto.ReadWrite.All'],
  'directory-reader': ['User.Read.All'],
};
// Which algorithm each client's access tokens are signed with: both accepted ones are used.
const CLIENT_ALG = { 'photo-web': 'RS256', 'photo-sync': 'ES256', 'directory-reader': 'RS256' };

async function keyPair(alg) {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  const kid = `${alg.toLowerCase()}-${randomBytes(4).toString('hex')}`;
  const jwk = { ...(await jose.exportJWK(privateKey)), kid, alg, use: 'sig' };
  return { alg, kid, jwk, privateKey, publicKey };
}

let jwksFetches = 0;

function configuration(keys) {
  return {
    clients: [
      {
        client_id: 'photo-web',
        client_secret: 'photo-web-secret',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [REDIRECT],
      },
      ...Object.keys(APP_ROLES).map((id) => ({
        client_id: id,
        client_secret: `${id}-secret`,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      })),
    ],
    jwks: { keys: keys.map((k) => k.jwk) },
    ttl: {
      AccessToken: 600, ClientCredentials: 600, Grant: 600, IdToken: 600, Interaction: 600, Session: 600,
    },
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource, client) => ({
          scope: SCOPES,
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
          jwt: { sign: { alg: CLIENT_ALG[client.clientId] } },
        }),
      },
    },
    // The claims Entra ID puts in its access tokens.
    extraTokenClaims: (_ctx, token) => {
      if (token.kind === 'ClientCredentials') {
        return { idtyp: 'app', azp: token.clientId, roles: APP_ROLES[token.clientId] };
      }
      return { upn: token.accountId, scp: token.scope };
    },
  };
}

/// Starts a provider at `http://127.0.0.1:port` with `keys`. Its `rotate(keys)` puts a provider
/// with other keys in its place, on the same address, as a restarted provider would be.
async function startProvider(port, keys) {
  const issuer = `http://127.0.0.1:${port}`;
  const make = (keySet) => {
    const provider = new Provider(issuer, configuration(keySet));
    provider.use(async (ctx, next) => {
      if (ctx.path === '/jwks') jwksFetches += 1;
      await next();
    });
    return provider.callback();
  };
  let handle = make(keys);
  const server = createServer((request, response) => handle(request, response));
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  server.rotate = (keySet) => { handle = make(keySet); };
  return server;
}

async function freePort() {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  probe.close();
  await once(probe, 'close');
  return port;
}

// Tokens from the provider.

async function clientCredentials(issuer, client, resource = AUDIENCE) {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: client,
      client_secret: `${client}-secret`,
      resource,
    }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body.access_token;
}

/// The authorization code flow with PKCE through the provider's own login and consent pages.
async function signIn(issuer, user, scope) {
  const jar = new Map();
  const go = async (url, init = {}) => {
    const headers = { ...(init.headers || {}) };
    headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(new URL(url, issuer), { ...init, headers, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair.indexOf('=');
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return response;
  };
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = new URL(`${issuer}/auth`);
  authorize.search = new URLSearchParams({
    client_id: 'photo-web',
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope: `openid ${scope}`,
    resource: AUDIENCE,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
  });
  let response = await go(authorize);
  // Login, then consent, each an interaction page answered with its form.
  for (const prompt of ['login', 'consent']) {
    assert.equal(response.status, 303, `${prompt}: ${response.status}`);
    const interaction = response.headers.get('location');
    const page = await go(interaction);
    assert.equal(page.status, 200);
    const form = { prompt };
    if (prompt === 'login') Object.assign(form, { login: user, password: 'any' });
    response = await go(interaction, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    assert.equal(response.status, 303);
    response = await go(response.headers.get('location'));
  }
  assert.equal(response.status, 303);
  const callback = new URL(response.headers.get('location'));
  const code = callback.searchParams.get('code');
  assert.ok(code, `no code in ${callback}`);
  const token = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      client_id: 'photo-web',
      client_secret: 'photo-web-secret',
    }),
  });
  const body = await token.json();
  assert.equal(token.status, 200, JSON.stringify(body));
  return body.access_token;
}

// The server.

async function startServer(issuer, port) {
  const child = spawn(serverBinary, [
    '--store', 'memory://',
    '--listen', `127.0.0.1:${port}`,
    '--oidc-issuer', issuer,
    '--audience', AUDIENCE,
    '--log-format', 'json',
  ], {
    env: { ...process.env, RUST_LOG: 'warn', USERPHOTO_JWT_SECRET: '' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i += 1) {
    try {
      const ok = await fetch(`${origin}/healthz`);
      if (ok.status === 200) return { child, origin };
    } catch { /* not up yet */ }
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server did not start');
}

let origin;
async function call(method, path, token, body) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  return fetch(`${origin}${path}`, { method, headers, body });
}

async function expect401(what, token) {
  const response = await call('GET', '/v1.0/users/alice@contoso.com/photo', token);
  const body = await response.json();
  assert.equal(response.status, 401, `${what}: ${response.status} ${JSON.stringify(body)}`);
  assert.equal(body.error.code, 'InvalidAuthenticationToken', what);
  assert.match(response.headers.get('www-authenticate'), /^Bearer/, what);
  console.log(`  401 ${what}: ${body.error.message}`);
}

// Hostile tokens, crafted.

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

function claimsFor(issuer, now, extra = {}) {
  return {
    iss: issuer, aud: AUDIENCE, sub: 'alice@contoso.com', upn: 'alice@contoso.com',
    scp: 'User.Read.All', iat: now, exp: now + 600, ...extra,
  };
}

async function signed(key, claims, header = {}) {
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })
    .sign(key.privateKey);
}

async function main() {
  const providerPort = await freePort();
  const otherPort = await freePort();
  const serverPort = await freePort();
  const issuer = `http://127.0.0.1:${providerPort}`;
  const otherIssuer = `http://127.0.0.1:${otherPort}`;
  const rsa = await keyPair('RS256');
  const ec = await keyPair('ES256');
  const provider = await startProvider(providerPort, [rsa, ec]);
  // Another issuer with the same keys (as Entra ID's tenants share theirs): only `iss` tells
  // its tokens apart.
  const other = await startProvider(otherPort, [rsa, ec]);

  const server = await startServer(issuer, serverPort);
  origin = server.origin;
  try {
    console.log('delegated tokens (authorization code flow)');
    const alice = await signIn(issuer, 'alice@contoso.com', 'User.ReadWrite');
    const aliceClaims = jose.decodeJwt(alice);
    assert.equal(aliceClaims.scp, 'User.ReadWrite');
    assert.equal(jose.decodeProtectedHeader(alice).alg, 'RS256');
    let response = await call('PUT', '/v1.0/me/photo/$value', alice, photo);
    assert.equal(response.status, 200, await response.text());
    response = await call('GET', '/api/v2.0/me/photo', alice);
    assert.equal(response.status, 200);
    const metadata = await response.json();
    assert.match(metadata['@odata.id'], /Users\('alice@contoso.com'\)\/photo$/);
    assert.match(response.headers.get('request-id'), /^[0-9a-f-]{36}$/);
    // User.ReadWrite does not reach another user's photo.
    response = await call('GET', "/api/v2.0/Users('bob@contoso.com')/photo", alice);
    assert.equal(response.status, 403);
    const reader = await signIn(issuer, 'Carol@Contoso.com', 'User.ReadBasic.All');
    response = await call('GET', "/api/v2.0/Users('alice@contoso.com')/photos", reader);
    assert.equal(response.status, 200);
    response = await call('PUT', '/api/v2.0/me/photo/$value', reader, photo);
    assert.equal(response.status, 403);

    console.log('application tokens (client credentials)');
    const sync = await clientCredentials(issuer, 'photo-sync');
    assert.equal(jose.decodeProtectedHeader(sync).alg, 'ES256');
    assert.deepEqual(jose.decodeJwt(sync).roles, ['ProfilePhoto.ReadWrite.All']);
    response = await call('GET', '/v1.0/me/photo', sync);
    assert.equal(response.status, 400);
    const refused = await response.json();
    assert.equal(refused.error.code, 'BadRequest');
    assert.equal(refused.error.message, '/me request is only valid with delegated authentication flow.');
    response = await call('PUT', '/v1.0/users/bob@contoso.com/photo/$value', sync, photo);
    assert.equal(response.status, 200, await response.text());
    response = await call('GET', '/v1.0/users/alice@contoso.com/photo/$value', sync);
    assert.equal(response.status, 200);
    // ProfilePhoto.* is Graph's vocabulary; the Outlook routes do not know it.
    response = await call('GET', "/api/v2.0/Users('alice@contoso.com')/photo", sync);
    assert.equal(response.status, 403);
    const directory = await clientCredentials(issuer, 'directory-reader');
    response = await call('GET', "/api/v2.0/Users('bob@contoso.com')/photos", directory);
    assert.equal(response.status, 200);
    response = await call('DELETE', '/v1.0/users/bob@contoso.com/photo', directory);
    assert.equal(response.status, 403);
    response = await call('GET', '/api/v2.0/me/photo', directory);
    assert.equal(response.status, 400);

    console.log('refused tokens');
    await expect401('no token', undefined);
    await expect401('wrong audience', await clientCredentials(issuer, 'directory-reader', 'api://another-api'));
    await expect401('wrong issuer', await clientCredentials(otherIssuer, 'directory-reader'));
    const now = Math.floor(Date.now() / 1000);
    await expect401('expired', await signed(rsa, claimsFor(issuer, now - 7200, { exp: now - 3600 })));
    await expect401('not yet valid', await signed(ec, claimsFor(issuer, now, { nbf: now + 3600 })));
    await expect401('no exp', await signed(rsa, claimsFor(issuer, now, { exp: undefined })));
    await expect401('alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claimsFor(issuer, now))}.`);
    await expect401('alg None', `${b64({ alg: 'None', kid: rsa.kid })}.${b64(claimsFor(issuer, now))}.`);
    const publicPem = createPublicKey({ key: rsa.jwk, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' });
    const confused = await new jose.SignJWT(claimsFor(issuer, now))
      .setProtectedHeader({ alg: 'HS256', kid: rsa.kid })
      .sign(new TextEncoder().encode(publicPem));
    await expect401('HS256 keyed with the public key', confused);
    const ps256 = await new jose.SignJWT(claimsFor(issuer, now))
      .setProtectedHeader({ alg: 'PS256', kid: rsa.kid })
      .sign(createPrivateKey({ key: rsa.jwk, format: 'jwk' }));
    await expect401('PS256 (an algorithm not accepted)', ps256);
    const valid = await signed(rsa, claimsFor(issuer, now));
    const [h, p] = valid.split('.');
    await expect401('unknown algorithm', `${b64({ alg: 'XS999', kid: rsa.kid })}.${p}.${valid.split('.')[2]}`);
    await expect401('tampered claims', `${h}.${b64({ ...claimsFor(issuer, now), upn: 'admin@contoso.com' })}.${valid.split('.')[2]}`);
    // Within the clock leeway (60 s) both ways.
    response = await call('GET', '/v1.0/users/alice@contoso.com/photo',
      await signed(rsa, claimsFor(issuer, now - 600, { exp: now - 20, nbf: now + 20 })));
    assert.equal(response.status, 200, 'a token within the leeway');

    console.log('key rotation');
    const fetchesBefore = jwksFetches;
    const rsa2 = await keyPair('RS256');
    const ec2 = await keyPair('ES256');
    // The new keys first (the provider signs with them), the old ones still published.
    provider.rotate([rsa2, ec2, rsa, ec]);
    const rotated = await signIn(issuer, 'alice@contoso.com', 'User.Read');
    assert.equal(jose.decodeProtectedHeader(rotated).kid, rsa2.kid);
    response = await call('GET', '/v1.0/me/photo', rotated);
    assert.equal(response.status, 200, 'a token of the rotated key');
    const rotatedApp = await clientCredentials(issuer, 'photo-sync');
    assert.equal(jose.decodeProtectedHeader(rotatedApp).kid, ec2.kid);
    response = await call('GET', '/v1.0/users/alice@contoso.com/photo', rotatedApp);
    assert.equal(response.status, 200);
    assert.equal(jwksFetches - fetchesBefore, 1, 'one fetch of the key set for the rotation');
    // Tokens of old keys stay valid while the provider publishes them.
    response = await call('GET', '/v1.0/users/alice@contoso.com/photo', await clientCredentials(issuer, 'directory-reader'));
    assert.equal(response.status, 200);

    console.log('an unknown key id that stays unknown');
    const stranger = await keyPair('RS256');
    for (let i = 0; i < 5; i += 1) {
      await expect401(`a key never published (${i + 1})`, await signed(stranger, claimsFor(issuer, now)));
    }
    // The rotation fetched the set under a minute ago: unknown ids fetch it again at most once
    // a minute, however many arrive.
    assert.equal(jwksFetches - fetchesBefore, 1, 'no fetch of the key set for unknown ids');
    console.log('oidc: all checks passed');
  } finally {
    server.child.kill('SIGTERM');
    provider.close();
    other.close();
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});
