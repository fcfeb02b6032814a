/**
 * Structured logs: one JSON object per line on stdout (CloudWatch indexes the fields), in the style of
 * Powertools' logger: levels from LOG_LEVEL (or Lambda's AWS_LAMBDA_LOG_LEVEL), children that carry the
 * request's ids and route on every line, and errors with their own fields and their whole `cause` chain.
 * Expected failures (a user's bad input, their database being down: see isExpectedFailure) are logged at
 * warn without a stack; only our own defects get error level and a stack.
 * Callers pass identifiers and measurements only: never bodies, passwords, tokens or SQL parameters.
 */
import { config } from './config.js';
import { AppError, isExpectedFailure } from './errors.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  /** An error with its cause chain; at warn and without stack when it is an expected failure. */
  error(msg: string, err?: unknown, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

type Sink = (line: string) => void;
let sink: Sink = (line) => process.stdout.write(line + '\n');

/** Tests and benchmarks replace the sink to read or silence the lines. */
export function setLogSink(next: Sink): Sink {
  const previous = sink;
  sink = next;
  return previous;
}

const RANK: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };
const MAX_CAUSES = 5;

/** An error as log fields: its name, message, own fields (code, details, pgCode...), stack and causes. */
export function errorFields(err: unknown, withStack = true, depth = 0): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  if (err instanceof AppError) {
    out.code = err.code;
    if (err.details) out.details = err.details;
  } else {
    // The error's own enumerable fields: pg's code/severity/routine, Node's errno/syscall, the SDK's $metadata.
    for (const key of Object.keys(err)) {
      if (key === 'cause' || key === 'stack' || key === 'message') continue;
      const v = (err as unknown as Record<string, unknown>)[key];
      if (v === undefined || typeof v === 'function') continue;
      out[key] = typeof v === 'object' && v !== null ? safeObject(v) : v;
    }
  }
  if (withStack && err.stack) out.stack = err.stack;
  if (err.cause !== undefined && depth < MAX_CAUSES) out.cause = errorFields(err.cause, withStack, depth + 1);
  return out;
}

function safeObject(v: object): unknown {
  try {
    const text = JSON.stringify(v);
    return text.length > 2_000 ? `${text.slice(0, 2_000)}…` : JSON.parse(text);
  } catch {
    return '[unserializable]';
  }
}

/**
 * A class rather than closures, and children that keep a link to their parent instead of copying its
 * fields: one logger is made per request, so making one must cost next to nothing.
 */
class JsonLogger implements Logger {
  constructor(
    private readonly fields: Record<string, unknown>,
    private readonly parent?: JsonLogger,
  ) {}

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.emit('debug', msg, fields);
  }

  info(msg: string, fields?: Record<string, unknown>): void {
    this.emit('info', msg, fields);
  }

  warn(msg: string, fields?: Record<string, unknown>): void {
    this.emit('warn', msg, fields);
  }

  error(msg: string, err?: unknown, fields?: Record<string, unknown>): void {
    if (err === undefined) return this.emit('error', msg, fields);
    const expected = isExpectedFailure(err);
    this.emit(expected ? 'warn' : 'error', msg, { ...fields, err: errorFields(err, !expected) });
  }

  child(fields: Record<string, unknown>): Logger {
    return new JsonLogger(fields, this);
  }

  private collect(into: Record<string, unknown>): void {
    this.parent?.collect(into);
    Object.assign(into, this.fields);
  }

  private emit(level: Level, msg: string, fields?: Record<string, unknown>): void {
    if (RANK[level] < RANK[config.logLevel]) return;
    const line: Record<string, unknown> = { time: new Date().toISOString(), level, msg };
    this.collect(line);
    if (fields) Object.assign(line, fields);
    sink(JSON.stringify(line));
  }
}

export function createLogger(base: Record<string, unknown> = {}): Logger {
  return new JsonLogger(base);
}

/** For lines outside any request (start-up, the process guard). Request code uses the request's logger. */
export const log = createLogger();
