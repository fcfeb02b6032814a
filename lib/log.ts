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

// Read at the first line written, not at import: tests and the shim set LOG_LEVEL after loading modules.
let silent: boolean | undefined;

/**
 * A class rather than closures, and children that keep a link to their parent instead of copying its
 * fields: one logger is made per request, so making one must cost next to nothing.
 */
class JsonLogger implements Logger {
  constructor(
    private readonly fields: Record<string, unknown>,
    private readonly parent?: JsonLogger,
  ) {}

  info(msg: string, fields?: Record<string, unknown>): void {
    this.emit('info', msg, fields);
  }

  warn(msg: string, fields?: Record<string, unknown>): void {
    this.emit('warn', msg, fields);
  }

  error(msg: string, err?: unknown, fields?: Record<string, unknown>): void {
    this.emit('error', msg, { ...fields, err: errorFields(err) });
  }

  child(fields: Record<string, unknown>): Logger {
    return new JsonLogger(fields, this);
  }

  private collect(into: Record<string, unknown>): void {
    this.parent?.collect(into);
    Object.assign(into, this.fields);
  }

  private emit(level: string, msg: string, fields?: Record<string, unknown>): void {
    silent ??= process.env.LOG_LEVEL === 'silent';
    if (silent) return;
    const line: Record<string, unknown> = { time: new Date().toISOString(), level, msg };
    this.collect(line);
    if (fields) Object.assign(line, fields);
    sink(JSON.stringify(line));
  }
}

export function createLogger(base: Record<string, unknown> = {}): Logger {
  return new JsonLogger(base);
}

export const log = createLogger();
