/** Builds a RouteContext by hand, to call route handlers directly (no HTTP). */
import type { Logger } from '../../lib/log.js';
import { describeError } from '../../lib/http/errors.js';
import type { RouteContext, RouteHandler } from '../../lib/http/types.js';

/** A logger that keeps its lines, so tests can check what was (not) logged. */
export function memoryLogger(
  lines: string[] = [],
  base: Record<string, unknown> = {},
): Logger & { lines: string[] } {
  const emit = (level: string, msg: string, fields?: Record<string, unknown>, err?: unknown) =>
    lines.push(
      JSON.stringify({
        level,
        msg,
        ...base,
        ...fields,
        ...(err !== undefined
          ? { err: err instanceof Error ? { name: err.name, message: err.message } : String(err) }
          : {}),
      }),
    );
  return {
    lines,
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, err, fields) => emit('error', msg, fields, err),
    child: (fields) => memoryLogger(lines, { ...base, ...fields }),
  };
}

export interface ContextOptions {
  uid?: string;
  method?: string;
  path?: string;
  params?: Record<string, string>;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  /** An object is sent as JSON; a string or Buffer as is. */
  body?: unknown;
  log?: Logger;
}

export function makeContext(opts: ContextOptions = {}): RouteContext {
  const body =
    opts.body === undefined
      ? undefined
      : Buffer.isBuffer(opts.body)
        ? opts.body
        : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body), 'utf8');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
  if (body) headers['content-type'] ??= 'application/json';
  const uid = opts.uid ?? 'user-a';
  return {
    requestId: 'test-request',
    method: opts.method ?? 'GET',
    path: opts.path ?? '/',
    headers,
    query: opts.query ?? {},
    cookies: [],
    body,
    sourceIp: '127.0.0.1',
    user: { uid, email: `${uid}@example.com` },
    params: opts.params ?? {},
    signal: new AbortController().signal,
    remainingMs: () => 60_000,
    shutdown: new AbortController().signal,
    log: opts.log ?? memoryLogger(),
  };
}

export interface RouteResult {
  status: number;
  body: any;
  /** The JSON text a client would receive, to search for things that must never appear. */
  text: string;
}

/** Runs a JSON route handler like the dispatcher does: an error becomes its taxonomy status and payload. */
export async function callRoute(handler: RouteHandler, opts: ContextOptions = {}): Promise<RouteResult> {
  try {
    const reply = await handler(makeContext(opts));
    if (reply.kind !== 'json') throw new Error('expected a JSON reply');
    const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
    return { status: reply.status, body: reply.body, text };
  } catch (err) {
    const { status, error } = describeError(err, 'test-request');
    return { status, body: { error }, text: JSON.stringify({ error }) };
  }
}
