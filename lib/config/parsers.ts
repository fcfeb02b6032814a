/**
 * Parsers for environment variables: each turns the raw text into a value or throws with what it accepts,
 * so a bad value is reported as `NAME=value: expected …` instead of silently falling back to a default.
 */
export interface Parser<T> {
  /** What the variable accepts, in words (used in errors and in docs/configuration.md). */
  accepts: string;
  parse(raw: string): T;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

class Invalid extends Error {}

export function parseWith<T>(name: string, raw: string, parser: Parser<T>): T {
  try {
    return parser.parse(raw);
  } catch (err) {
    if (!(err instanceof Invalid)) throw err;
    const shown = raw.length > 60 ? `${raw.slice(0, 57)}...` : raw;
    throw new ConfigError(`${name}=${JSON.stringify(shown)}: expected ${parser.accepts}`);
  }
}

/**
 * 15000 → "15,000". Not toLocaleString: its first call loads ICU's locale data, ~25 ms of every cold start
 * (the parsers are built when the config module loads).
 */
export const fmt = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** A whole number within [min, max] (underscores allowed as separators: 15_000). */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  const accepts =
    max === Number.MAX_SAFE_INTEGER
      ? `an integer ≥ ${fmt(min)}`
      : `an integer from ${fmt(min)} to ${fmt(max)}`;
  return {
    accepts,
    parse(raw) {
      const text = raw.trim().replace(/_/g, '');
      if (!/^-?\d+$/.test(text)) throw new Invalid();
      const n = Number(text);
      if (!Number.isSafeInteger(n) || n < min || n > max) throw new Invalid();
      return n;
    },
  };
}

/** An integer where 0 means "no limit" (returned as Infinity). */
export function limit(max = Number.MAX_SAFE_INTEGER): Parser<number> {
  const inner = integer(0, max);
  return {
    accepts: `${inner.accepts} (0 = unlimited)`,
    parse: (raw) => inner.parse(raw) || Infinity,
  };
}

export const boolean: Parser<boolean> = {
  accepts: 'true or false (also 1/0, yes/no, on/off)',
  parse(raw) {
    const v = raw.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    throw new Invalid();
  },
};

export function oneOf<const T extends string>(...values: T[]): Parser<T> {
  return {
    accepts: values.map((v) => `"${v}"`).join(', '),
    parse(raw) {
      const v = raw.trim().toLowerCase();
      const hit = values.find((x) => x.toLowerCase() === v);
      if (hit === undefined) throw new Invalid();
      return hit;
    },
  };
}

export const text: Parser<string> = {
  accepts: 'any text',
  parse: (raw) => raw,
};

/** An http(s) URL. */
export const httpUrl: Parser<string> = {
  accepts: 'an http:// or https:// URL',
  parse(raw) {
    try {
      const u = new URL(raw.trim());
      if (u.protocol === 'http:' || u.protocol === 'https:') return raw.trim();
    } catch {
      // fall through
    }
    throw new Invalid();
  },
};

/** Text matching a pattern (described in words by `accepts`). */
export function matching(pattern: RegExp, accepts: string): Parser<string> {
  return {
    accepts,
    parse(raw) {
      if (!pattern.test(raw.trim())) throw new Invalid();
      return raw.trim();
    },
  };
}

/** Fails a value for a reason only the caller can check (used by custom parsers). */
export function invalid(): never {
  throw new Invalid();
}
