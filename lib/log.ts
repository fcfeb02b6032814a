/**
 * Structured logs: one JSON object per line on stdout (CloudWatch indexes the fields).
 * Callers pass only identifiers and measurements: never bodies, passwords, tokens or SQL parameters.
 */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
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

function errorFields(err: unknown): Record<string, unknown> | undefined {
  if (err === undefined) return undefined;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, code, stack: err.stack };
  }
  return { message: String(err) };
}

export function createLogger(base: Record<string, unknown> = {}): Logger {
  const emit = (level: string, msg: string, fields?: Record<string, unknown>) => {
    if (process.env.LOG_LEVEL === 'silent') return;
    sink(JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields }));
  };
  return {
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, err, fields) => emit('error', msg, { ...fields, err: errorFields(err) }),
    child: (fields) => createLogger({ ...base, ...fields }),
  };
}

export const log = createLogger();
