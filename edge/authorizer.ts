/**
 * CloudFront viewer-request authorizer for `/api/*` (Lambda@Edge). The API behind CloudFront trusts the
 * `x-user-uid` / `x-user-email` headers, so this function is the only thing allowed to set them:
 *   1. every client-sent `x-user-*` header is removed first, whatever happens next;
 *   2. CORS preflights (OPTIONS) pass without a token;
 *   3. `Authorization: Bearer <ID token>` is verified (RS256, issuer, audience, expiry, JWKS by `kid`);
 *   4. on success the user headers and `x-amz-content-sha256` (the body hash that the Origin Access
 *      Control's SigV4 signature needs for POST/PUT to a Function URL) are set; otherwise a generated
 *      401 (or 413 for a body CloudFront truncated) goes back without reaching the origin.
 */
import { createHash } from 'node:crypto';
import type {
  CloudFrontHeaders,
  CloudFrontRequest,
  CloudFrontRequestEvent,
  CloudFrontResultResponse,
} from 'aws-lambda';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { EdgeAuthConfig } from './config.js';

export type ViewerRequestHandler = (
  event: CloudFrontRequestEvent,
) => Promise<CloudFrontRequest | CloudFrontResultResponse>;

/** Why a request was refused; logged, never sent to the client. */
class AuthFailure extends Error {
  override name = 'AuthFailure';
}

const USER_HEADER_PREFIX = 'x-user-';
const MAX_TOKEN_CHARS = 16 * 1024;
// Ends up in DynamoDB keys (`USER#<uid>#...`): no `#`, no separators, nothing a header cannot carry.
const SAFE_SUB = /^[A-Za-z0-9._:|@-]{1,128}$/;
const SAFE_EMAIL = /^[\x21-\x7e]{1,256}@[\x21-\x7e]{1,63}$/;

/** Builds the handler. `config: null` (not configured at build time) refuses every request. */
export function createViewerRequestHandler(config: EdgeAuthConfig | null): ViewerRequestHandler {
  const verify = config ? createTokenVerifier(config) : null;

  return async (event) => {
    const request = event.Records[0]!.cf.request;
    stripUserHeaders(request.headers);

    if (!verify) return refuse(request, 'edge authorizer not configured at build time');
    if (request.method === 'OPTIONS') return pass(request);

    const token = bearerToken(request.headers);
    if (!token) return refuse(request, 'missing or malformed bearer token');

    let claims: JWTPayload;
    try {
      claims = await verify(token);
    } catch (err) {
      // Not `instanceof Error`: errors from Node internals may come from another realm.
      const { name, message } = (err ?? {}) as { name?: unknown; message?: unknown };
      return refuse(request, `${String(name ?? 'Error')}: ${String(message ?? 'verification failed')}`);
    }

    if (request.body?.inputTruncated) return tooLarge(request);
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
  const values = Object.keys(headers)
    .filter((name) => name.toLowerCase() === 'authorization')
    .flatMap((name) => headers[name] ?? []);
  if (values.length !== 1) return undefined;
  const match = /^Bearer[ ]+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)[ ]*$/i.exec(values[0]!.value);
  const token = match?.[1];
  return token && token.length <= MAX_TOKEN_CHARS ? token : undefined;
}

/** Hex SHA-256 of the request body as CloudFront hands it over (base64 or text); empty body if none. */
export function bodySha256Hex(body: CloudFrontRequest['body']): string {
  const bytes = body?.data
    ? Buffer.from(body.data, body.encoding === 'text' ? 'utf8' : 'base64')
    : Buffer.alloc(0);
  return createHash('sha256').update(bytes).digest('hex');
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
    if (typeof payload.sub !== 'string' || !SAFE_SUB.test(payload.sub)) {
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

function setHeader(headers: CloudFrontHeaders, name: string, key: string, value: string): void {
  headers[name] = [{ key, value }];
}

function pass(request: CloudFrontRequest): CloudFrontRequest {
  // OAC signs with SigV4; a Function URL refuses POST/PUT without the payload hash, and an honest hash of
  // the body CloudFront forwards is correct for every method.
  setHeader(request.headers, 'x-amz-content-sha256', 'X-Amz-Content-Sha256', bodySha256Hex(request.body));
  // A streaming Function URL behind CloudFront misbehaves with compression: hide what the viewer accepts.
  delete request.headers['accept-encoding'];
  return request;
}

function refuse(request: CloudFrontRequest, reason: string): CloudFrontResultResponse {
  logRefusal(request, 401, reason);
  return errorResponse('401', 'Unauthorized', 'Unauthorized', 'Authentication required', {
    'www-authenticate': [{ key: 'WWW-Authenticate', value: 'Bearer' }],
  });
}

function tooLarge(request: CloudFrontRequest): CloudFrontResultResponse {
  logRefusal(request, 413, 'request body truncated by CloudFront (viewer-request body limit)');
  return errorResponse('413', 'Payload Too Large', 'PayloadTooLarge', 'Request body too large');
}

function errorResponse(
  status: string,
  statusDescription: string,
  code: string,
  message: string,
  extra: CloudFrontHeaders = {},
): CloudFrontResultResponse {
  return {
    status,
    statusDescription,
    headers: {
      'content-type': [{ key: 'Content-Type', value: 'application/json' }],
      'cache-control': [{ key: 'Cache-Control', value: 'no-store' }],
      // Like the API's own errors, so a browser on another origin can read why it was refused.
      'access-control-allow-origin': [{ key: 'Access-Control-Allow-Origin', value: '*' }],
      ...extra,
    },
    body: JSON.stringify({ error: { code, message } }),
  };
}

function logRefusal(request: CloudFrontRequest, status: number, reason: string): void {
  // Method and path only: never the token, the query string or the body.
  console.log(
    JSON.stringify({
      level: 'warn',
      msg: 'edge_refused',
      status,
      reason,
      method: request.method,
      uri: request.uri,
    }),
  );
}
