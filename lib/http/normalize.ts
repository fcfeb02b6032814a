/**
 * Event normalization: one small pure function per event shape the function can receive, each turning
 * its event into the same ApiRequest. Shapes:
 *   - Lambda Function URL (payload 2.0; stage `$default`, rawPath as sent);
 *   - API Gateway HTTP API (payload 2.0; rawPath carries `/<stage>` unless the stage is `$default`);
 *   - API Gateway REST API proxy (payload 1.0; `path` has no stage, multi-value maps carry repeats).
 * A leading `/api` segment (CloudFront forwards `/api/*`) is trimmed afterwards, for every shape.
 */
import { AppError } from '../errors.js';
import { isValidUserId } from '../user-id.js';
import type { ApiRequest } from './types.js';
import type { User } from '../types.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function normalizeEvent(event: unknown, fallbackRequestId: string): ApiRequest {
  if (!isObject(event)) throw new AppError('IncorrectSignature', 'Unsupported event: not an object');
  const ctx = isObject(event.requestContext) ? event.requestContext : undefined;
  let req: ApiRequest;
  if (event.version === '2.0' && ctx && isObject(ctx.http))
    req = fromPayloadV2(event, ctx, fallbackRequestId);
  else if (typeof event.httpMethod === 'string') req = fromRestV1(event, ctx, fallbackRequestId);
  else throw new AppError('IncorrectSignature', 'Unsupported event: not an HTTP event of a known shape');
  req.path = trimApiPrefix(req.path);
  return req;
}

/** `/api/chats` → `/chats`, `/api` → `/`; `/apis` and `/x/api` are left alone. */
export function trimApiPrefix(path: string): string {
  if (path === '/api') return '/';
  if (path.startsWith('/api/')) return path.slice(4);
  return path;
}

function fromPayloadV2(event: Json, ctx: Json, fallbackRequestId: string): ApiRequest {
  const http = ctx.http as Json;
  const method = str(http.method);
  if (!method) throw new AppError('IncorrectSignature', 'Unsupported event: missing method');
  let path = str(event.rawPath) ?? str(http.path) ?? '/';
  const stage = str(ctx.stage);
  // HTTP APIs put a named stage in rawPath; Function URLs and `$default` stages do not.
  if (stage && stage !== '$default' && (path === `/${stage}` || path.startsWith(`/${stage}/`))) {
    path = path.slice(stage.length + 1) || '/';
  }
  const headers = lowerCaseHeaders(event.headers);
  const cookies = Array.isArray(event.cookies)
    ? event.cookies.filter((c): c is string => typeof c === 'string')
    : splitCookieHeader(headers.cookie);
  delete headers.cookie;
  return {
    requestId: str(ctx.requestId) ?? fallbackRequestId,
    method: method.toUpperCase(),
    path: ensureLeadingSlash(path),
    headers,
    query: parseQueryString(str(event.rawQueryString) ?? '', event.queryStringParameters),
    cookies,
    body: decodeBody(event.body, event.isBase64Encoded),
    sourceIp: str(http.sourceIp),
    ...identify(ctx, headers),
  };
}

function fromRestV1(event: Json, ctx: Json | undefined, fallbackRequestId: string): ApiRequest {
  const method = str(event.httpMethod)!;
  // `path` is the request path without the stage (requestContext.path has it with the stage).
  const path = str(event.path) ?? '/';
  const headers = isObject(event.multiValueHeaders)
    ? lowerCaseHeaders(event.multiValueHeaders)
    : lowerCaseHeaders(event.headers);
  const cookies = splitCookieHeader(headers.cookie);
  delete headers.cookie;
  const query: Record<string, string> = {};
  const multi = event.multiValueQueryStringParameters;
  const single = event.queryStringParameters;
  if (isObject(multi)) {
    for (const [k, v] of Object.entries(multi)) {
      const first = Array.isArray(v) ? v.find((x) => typeof x === 'string') : str(v);
      if (first !== undefined) query[k] = first;
    }
  } else if (isObject(single)) {
    for (const [k, v] of Object.entries(single)) if (typeof v === 'string') query[k] = v;
  }
  const identity = ctx && isObject(ctx.identity) ? ctx.identity : undefined;
  return {
    requestId: str(ctx?.requestId) ?? fallbackRequestId,
    method: method.toUpperCase(),
    path: ensureLeadingSlash(path),
    headers,
    query,
    cookies,
    body: decodeBody(event.body, event.isBase64Encoded),
    sourceIp: identity ? str(identity.sourceIp) : undefined,
    ...identify(ctx, headers),
  };
}

/** Lower-cases names; arrays (multi-value maps) and repeated names are joined with `, `. */
export function lowerCaseHeaders(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(raw)) return out;
  for (const name in raw) {
    const value = raw[name];
    if (typeof value === 'string') addHeader(out, name.toLowerCase(), value);
    else if (Array.isArray(value)) {
      const key = name.toLowerCase();
      for (const v of value) if (typeof v === 'string') addHeader(out, key, v);
    }
  }
  return out;
}

function addHeader(out: Record<string, string>, key: string, value: string): void {
  const before = out[key];
  // Cookies are joined the way a Cookie header joins them.
  out[key] = before === undefined ? value : `${before}${key === 'cookie' ? '; ' : ', '}${value}`;
}

function splitCookieHeader(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c !== '');
}

function parseQueryString(raw: string, fallback: unknown): Record<string, string> {
  const query: Record<string, string> = {};
  if (raw !== '') {
    for (const [k, v] of new URLSearchParams(raw)) if (!(k in query)) query[k] = v;
  } else if (isObject(fallback)) {
    for (const [k, v] of Object.entries(fallback)) if (typeof v === 'string') query[k] = v;
  }
  return query;
}

function decodeBody(body: unknown, isBase64: unknown): Buffer | undefined {
  if (typeof body !== 'string' || body === '') return undefined;
  return isBase64 === true ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

function ensureLeadingSlash(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}

/** The user, and where it came from (header users may need the edge's proof: lib/http/proven-user.ts). */
function identify(
  ctx: Json | undefined,
  headers: Record<string, string>,
): Pick<ApiRequest, 'user' | 'userSource'> {
  const fromAuthorizer = ctx && userFromAuthorizer(ctx);
  if (fromAuthorizer) return { user: fromAuthorizer, userSource: 'authorizer' };
  const fromHeaders = userFromHeaders(headers);
  return fromHeaders ? { user: fromHeaders, userSource: 'headers' } : { user: undefined };
}

function toUser(uid: unknown, email: unknown): User | undefined {
  if (!isValidUserId(uid)) return undefined;
  const e = typeof email === 'string' && email.length <= 320 && !/[\r\n]/.test(email) ? email : undefined;
  return e ? { uid, email: e } : { uid };
}

function parseMaybeJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
}

/**
 * An API Gateway Lambda authorizer puts the user in the request context: REST APIs as a JSON string in
 * `authorizer.user`, HTTP APIs under `authorizer.lambda.user`. It wins over headers when present.
 */
function userFromAuthorizer(ctx: Json): User | undefined {
  const authorizer = isObject(ctx.authorizer) ? ctx.authorizer : undefined;
  if (!authorizer) return undefined;
  const raw = authorizer.user ?? (isObject(authorizer.lambda) ? authorizer.lambda.user : undefined);
  const user = parseMaybeJson(raw);
  if (!isObject(user)) return undefined;
  return toUser(user.uid ?? user.sub ?? user.id, user.email);
}

/** Locally, and behind the CloudFront edge authorizer (which strips any client-sent copy), headers name the user. */
function userFromHeaders(headers: Record<string, string>): User | undefined {
  return toUser(headers['x-user-uid'], headers['x-user-email']);
}
