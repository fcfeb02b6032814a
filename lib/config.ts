/**
 * Configuration from the environment. Every variable is declared once in config/settings.ts; here each
 * becomes a typed getter that reads the variable when asked (tests and the local shim set variables after
 * modules load), parses it and remembers the result until the raw text changes. A value that does not parse
 * throws a ConfigError naming the variable and what it accepts; `checkConfig()` reads them all at start so
 * `npm start` and the Lambda's init fail at once instead of on some later request.
 */
import { resolve } from 'node:path';
import { ConfigError, parseWith } from './config/parsers.js';
import { SETTINGS, type Setting } from './config/settings.js';

export { ConfigError } from './config/parsers.js';

type Settings = typeof SETTINGS;
type ValueOf<S> = S extends Setting<infer T> ? T : never;

/** True inside AWS Lambda (never create tables, never start embedded services, no sample connector). */
const inLambda = (): boolean => Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME) && !process.env.SEMAIA_LOCAL;

const parsed = new Map<string, { raw: string; value: unknown }>();

function read<T>(s: Setting<T>): T {
  const raw = process.env[s.env];
  if (raw === undefined || raw === '') {
    return typeof s.fallback === 'function'
      ? (s.fallback as (e: { inLambda: boolean }) => T)({ inLambda: inLambda() })
      : s.fallback;
  }
  const hit = parsed.get(s.env);
  if (hit && hit.raw === raw) return hit.value as T;
  let value: T;
  try {
    value = parseWith(s.env, raw, s.parser);
  } catch (err) {
    if (s.secret && err instanceof ConfigError) {
      throw new ConfigError(`${s.env} is set but invalid: expected ${s.parser.accepts}`);
    }
    throw err;
  }
  parsed.set(s.env, { raw, value });
  return value;
}

interface Derived {
  readonly inLambda: boolean;
  readonly region: string;
  /** DATA_DIR as an absolute path. */
  readonly dataDir: string;
  /** Connection string of the local sample database (set by the local shim); never in Lambda. */
  readonly samplePgUrl: string | undefined;
}

export type Config = { readonly [K in keyof Settings]: ValueOf<Settings[K]> } & Derived;

const derived: Derived = {
  get inLambda() {
    return inLambda();
  },
  get region() {
    return process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
  },
  get dataDir() {
    return resolve(config.dataDirRaw);
  },
  get samplePgUrl() {
    return inLambda() ? undefined : config.samplePgUrlRaw;
  },
};

export const config: Config = Object.defineProperties(
  derived,
  Object.fromEntries(
    Object.entries(SETTINGS).map(([key, s]) => [
      key,
      { get: () => read(s as Setting<unknown>), enumerable: true },
    ]),
  ),
) as Config;

/**
 * Reads every variable once; throws one ConfigError listing every bad value (each naming the variable and
 * what it accepts). Called first by `npm start`, `npm run invoke` and the Lambda entry's init.
 */
export function checkConfig(): void {
  const problems: string[] = [];
  for (const s of Object.values(SETTINGS)) {
    try {
      read(s as Setting<unknown>);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(err.message);
    }
  }
  if (problems.length === 1) throw new ConfigError(`Invalid configuration: ${problems[0]}`);
  if (problems.length > 1) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
}
