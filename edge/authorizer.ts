/**
 * CloudFront viewer-request authorizer for `/api/*` (Lambda@Edge). The API behind CloudFront trusts the
 * `x-user-*` headers (with the proof the origin-request function adds), so this function is the only
 * thing allowed to set them:
 *   1. every client-sent `x-user-*` header (proof included) is removed first, whatever happens next;
 *   2. CORS preflights (OPTIONS) are answered here, and `GET /api/health` passes, without a token;
 *   3. `Authorization: Bearer <ID token>` is verified (RS256, issuer, audience, expiry, JWKS by `kid`); on
 *      a reply's events route only (GET, read-only), the token may come in the `semaia_id_token` cookie
 *      instead, because a browser's EventSource cannot send headers (docs/streams.md);
 *   4. on success the user headers are set; otherwise a generated 401 goes back without reaching the origin.
 * Bodies are not looked at here (viewer-request sees at most 40 KB): the origin-request function hashes them.
 */
import type {
  CloudFrontHeaders,
  CloudFrontRequest,
  CloudFrontRequestEvent,
  CloudFrontResultResponse,
} from 'aws-lambda';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { preflightHeaders } from '../lib/http/cors.js';
import { isValidUserId } from '../lib/user-id.js';
import type { EdgeAuthConfig } from './config.js';
import { errorResponse, headerValues, logRefusal, setHeader, toCloudFrontHeaders } from './responses.js';

export type ViewerRequestHandler = (
  event: CloudFrontRequestEvent,
) => Promise<CloudFrontRequest | CloudFrontResultResponse>;

/** Why a request was refused; logged, never sent to the client. */
class AuthFailure extends Error {
  override name = 'AuthFailure';
}

const USER_HEADER_PREFIX = 'x-user-';
const MAX_TOKEN_CHARS = 16 * 1024;
const SAFE_EMAIL = /^[\x21-\x7e]{1,256}@[\x21-\x7e]{1,63}$/;
/** Every method the API routes; the API's own preflight answer narrows it per path. */
const API_METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const PUBLIC_PATHS = new Set(['/api/health']);
/** The cookie EventSource clients carry their ID token in (SameSite=Strict; docs/streams.md). */
const TOKEN_COOKIE = 'semaia_id_token';
const EVENTS_ROUTE = /^\/api\/chats\/[^/]+\/messages\/[^/]+\/events$/;

/** Builds the handler. `config: null` (not configured at build time) refuses every request that needs a user. */
export function createViewerRequestHandler(config: EdgeAuthConfig | null): ViewerRequestHandler {
  const verify = config ? createTokenVerifier(config) : null;

  return async (event) => {
    const request = event.Records[0]!.cf.request;
    stripUserHeaders(request.headers);

    if (request.method === 'OPTIONS') return preflight();
    // The API routes GET only (a HEAD would get its 405 anyway).
    if (request.method === 'GET' && PUBLIC_PATHS.has(request.uri)) return pass(request);
    if (!verify) return refuse(request, 'edge authorizer not configured at build time');

    const token = bearerToken(request.headers) ?? eventStreamToken(request);
    if (!token) return refuse(request, 'missing or malformed bearer token');

    let claims: JWTPayload;
    try {
      claims = await verify(token);
    } catch (err) {
      // Not `instanceof Error`: errors from Node internals may come from another realm.
      const { name, message } = (err ?? {}) as { name?: unknown; message?: unknown };
      return refuse(request, `${String(name ?? 'Error')}: ${String(message ?? 'verification failed')}`);
    }

    setHeader(request.headers, 'x-user-uid', 'X-User-Uid', claims.sub!);
    const email = verifiedEmail(claims);
    if (email) setHeader(request.headers, 'x-user-email', 'X-User-Email', email);
    return pass(request);
  };
}

/** Deletes every header whose name starts with `x-user-`, in any case, with all its values. */
export function stripUserHeaders(headers: CloudFrontHeaders): void {
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase().startsWith(USER_HEADER_PREFIX)) delete headers[name];
  }
}

/** The token of exactly one `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(headers: CloudFrontHeaders): string | undefined {
  const values = headerValues(headers, 'authorization');
  if (values.length !== 1) return undefined;
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(values[0]!);
  return match ? asJwt(match[1]!) : undefined;
}

/** The token when it has a JWT's shape (three base64url parts) and a sane length, else undefined. */
function asJwt(token: string): string | undefined {
  return token.length <= MAX_TOKEN_CHARS && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(token)
    ? token
    : undefined;
}

/**
 * The token an EventSource sends in its cookie, on the events route only (a GET that changes nothing, so a
 * cookie cannot be abused to make a change on the user's behalf). The cookie is taken out of the request:
 * the function never needs the token.
 */
function eventStreamToken(request: CloudFrontRequest): string | undefined {
  if (request.method !== 'GET' || !EVENTS_ROUTE.test(request.uri)) return undefined;
  let token: string | undefined;
  const kept: string[] = [];
  for (const header of headerValues(request.headers, 'cookie')) {
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      const name = part.slice(0, eq).trim();
      if (eq > 0 && name === TOKEN_COOKIE) token ??= part.slice(eq + 1).trim();
      else if (part.trim()) kept.push(part.trim());
    }
  }
  if (token === undefined) return undefined;
  if (kept.length) request.headers.cookie = [{ key: 'Cookie', value: kept.join('; ') }];
  else delete request.headers.cookie;
  return asJwt(token);
}

function createTokenVerifier(config: EdgeAuthConfig): (token: string) => Promise<JWTPayload> {
  // Created once per container: the key set and its cache live as long as the container.
  const jwks = createRemoteJWKSet(new URL(config.jwksUrl), {
    timeoutDuration: config.jwksTimeoutMs,
    cooldownDuration: config.jwksCooldownMs,
    cacheMaxAge: config.jwksMaxAgeMs,
  });

  const verifyClaims = async (token: string): Promise<JWTPayload> => {
    const { payload } = await jwtVerify(token, jwks, {
      algorithms: ['RS256'],
      issuer: config.issuer,
      audience: config.audience,
      clockTolerance: config.clockToleranceSec,
      // Also makes jose require `iat` and refuse one in the future.
      maxTokenAge: 24 * 3600,
      requiredClaims: ['exp', 'sub'],
    });
    if (!isValidUserId(payload.sub)) {
      throw new AuthFailure('sub claim missing or with unexpected characters');
    }
    if (config.provider === 'cognito' && payload.token_use !== 'id') {
      throw new AuthFailure('Cognito token is not an ID token (token_use)');
    }
    if (config.provider === 'firebase') {
      const authTime = payload.auth_time;
      if (typeof authTime !== 'number' || authTime > Date.now() / 1000 + config.clockToleranceSec) {
        throw new AuthFailure('Firebase auth_time missing or in the future');
      }
    }
    return payload;
  };

  return (token) => withDeadline(verifyClaims(token), config.verifyDeadlineMs);
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AuthFailure(`verification took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

function verifiedEmail(claims: JWTPayload): string | undefined {
  const { email, email_verified: verified } = claims;
  if (typeof email !== 'string' || !SAFE_EMAIL.test(email)) return undefined;
  // Cognito has been seen sending the flag as a string.
  if (verified === false || verified === 'false') return undefined;
  return email;
}

function pass(request: CloudFrontRequest): CloudFrontRequest {
  // A streaming Function URL behind CloudFront misbehaves with compression: hide what the viewer accepts.
  delete request.headers['accept-encoding'];
  return request;
}

/** The API's preflight answer, given here so that anonymous preflights never reach (and bill) the function. */
function preflight(): CloudFrontResultResponse {
  return {
    status: '204',
    statusDescription: 'No Content',
    headers: toCloudFrontHeaders(preflightHeaders(API_METHODS)),
  };
}

function refuse(request: CloudFrontRequest, reason: string): CloudFrontResultResponse {
  logRefusal(request, 401, reason);
  return errorResponse(401, 'Unauthorized', 'Unauthorized', 'Authentication required', {
    'www-authenticate': [{ key: 'WWW-Authenticate', value: 'Bearer' }],
  });
}
