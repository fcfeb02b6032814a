/** Shared fixtures for the edge tests: RSA keys, a JWKS served on loopback, tokens, CloudFront events. */
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { CloudFrontHeaders, CloudFrontRequest, CloudFrontRequestEvent } from 'aws-lambda';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type KeyLike } from 'jose';

export const FIREBASE_PROJECT = 'semaia-test';
export const FIREBASE_ISSUER = `https://securetoken.google.com/${FIREBASE_PROJECT}`;

export interface TestKey {
  kid: string;
  privateKey: KeyLike;
  publicKey: KeyLike;
  jwk: JWK;
}

export async function makeKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, publicKey, jwk };
}

/** A JWKS endpoint on 127.0.0.1 whose key list can change; counts the fetches. */
export interface JwksServer {
  url: string;
  keys: JWK[];
  hits: number;
  close(): Promise<void>;
}

export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  const state = { keys, hits: 0 };
  const server: Server = createServer((req, res) => {
    state.hits++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks`,
    get keys() {
      return state.keys;
    },
    set keys(k: JWK[]) {
      state.keys = k;
    },
    get hits() {
      return state.hits;
    },
    set hits(n: number) {
      state.hits = n;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Accepts TCP connections and never answers. */
export async function startSilentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A loopback URL where nothing listens (the port was just released). */
export async function closedPortUrl(): Promise<string> {
  const server = createTcpServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}/jwks`;
}

export const now = () => Math.floor(Date.now() / 1000);

/** Claims of a valid Firebase ID token for `sub`. */
export function firebaseClaims(sub = 'user123', extra: JWTPayload = {}): JWTPayload {
  const t = now();
  return {
    iss: FIREBASE_ISSUER,
    aud: FIREBASE_PROJECT,
    sub,
    iat: t - 10,
    exp: t + 3600,
    auth_time: t - 60,
    email: 'ada@example.com',
    email_verified: true,
    ...extra,
  };
}

export async function signToken(key: TestKey, claims: JWTPayload, kid: string = key.kid): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(key.privateKey);
}

export interface EventOptions {
  method?: string;
  uri?: string;
  headers?: CloudFrontHeaders;
  token?: string;
  body?: { data: string; encoding?: 'base64' | 'text'; inputTruncated?: boolean };
}

/** A CloudFront viewer-request event as Lambda@Edge receives it (lower-case keys, arrays of {key, value}). */
export function viewerRequest(opts: EventOptions = {}): CloudFrontRequestEvent {
  const headers: CloudFrontHeaders = {
    host: [{ key: 'Host', value: 'd111111abcdef8.cloudfront.net' }],
    'accept-encoding': [{ key: 'Accept-Encoding', value: 'gzip, br' }],
    ...opts.headers,
  };
  if (opts.token !== undefined)
    headers.authorization = [{ key: 'Authorization', value: `Bearer ${opts.token}` }];
  const request: CloudFrontRequest = {
    clientIp: '203.0.113.178',
    method: opts.method ?? 'GET',
    uri: opts.uri ?? '/api/chats',
    querystring: '',
    headers,
    body: {
      action: 'read-only',
      data: opts.body?.data ?? '',
      encoding: opts.body?.encoding ?? 'base64',
      inputTruncated: opts.body?.inputTruncated ?? false,
    },
  };
  return cloudFrontEvent('viewer-request', request, 'req-1');
}

/** Client-sent identity headers an attacker would try, in mixed case and duplicated. */
export const SPOOFED_HEADERS: CloudFrontHeaders = {
  'x-user-uid': [
    { key: 'X-User-Uid', value: 'victim' },
    { key: 'x-user-uid', value: 'victim2' },
  ],
  'X-User-Email': [{ key: 'X-USER-EMAIL', value: 'victim@example.com' }],
  'x-user-admin': [{ key: 'x-User-Admin', value: 'true' }],
};

export function userHeaderNames(headers: CloudFrontHeaders): string[] {
  return Object.keys(headers).filter((k) => k.toLowerCase().startsWith('x-user-'));
}

/** The origin-request event CloudFront makes of a request the viewer-request function let through. */
export function originRequestEvent(request: CloudFrontRequest, requestId = 'req-1'): CloudFrontRequestEvent {
  return cloudFrontEvent('origin-request', request, requestId);
}

function cloudFrontEvent(
  eventType: 'viewer-request' | 'origin-request',
  request: CloudFrontRequest,
  requestId: string,
): CloudFrontRequestEvent {
  const config = {
    distributionDomainName: 'd111111abcdef8.cloudfront.net',
    distributionId: 'EDFDVBD6EXAMPLE',
    eventType,
    requestId,
  };
  return { Records: [{ cf: { config, request } }] };
}

/** A request as it reaches origin-request (the body CloudFront includes, up to 1 MB, base64). */
export function originRequest(opts: EventOptions & { requestId?: string } = {}): CloudFrontRequestEvent {
  const request = viewerRequest(opts).Records[0]!.cf.request;
  return originRequestEvent(request, opts.requestId);
}
