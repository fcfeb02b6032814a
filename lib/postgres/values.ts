/**
 * Result values made JSON-safe and exact: numbers that JSON cannot hold stay strings as PostgreSQL wrote them
 * (bigint, numeric), date/time types keep their full precision as ISO-8601 text, bytea becomes `\x…` hex.
 */
import type { CustomTypesConfig } from 'pg';
import pg from 'pg';

const RAW_TEXT = new Set([
  1082, // date: already ISO (a JS Date would shift it by the process time zone)
  1083, // time
  1186, // interval: the object pg makes has no useful JSON form
  1266, // timetz
]);

/** `2024-01-02 03:04:05.123456+05:30` → `2024-01-02T03:04:05.123456+05:30` (microseconds kept). */
export function timestampToIso(text: string): string {
  const m = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d(?::?\d\d)?(?::?\d\d)?)?$/.exec(text);
  if (!m) return text; // infinity, BC dates: keep PostgreSQL's spelling
  const [, date, time, offset] = m;
  if (offset === undefined) return `${date}T${time}`;
  if (offset === '+00') return `${date}T${time}Z`;
  return `${date}T${time}${offset.length === 3 ? `${offset}:00` : offset}`;
}

/** Type parsers for user queries: raw text for the types above, ISO text for timestamps, pg defaults otherwise. */
export const queryTypes: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (format === 'binary') return pg.types.getTypeParser(oid, 'binary');
    if (RAW_TEXT.has(oid)) return (v: string) => v;
    if (oid === 1114 || oid === 1184) return timestampToIso;
    return pg.types.getTypeParser(oid, 'text');
  }) as CustomTypesConfig['getTypeParser'],
};

/** Makes one parsed value JSON-safe (recursing into arrays and parsed json). */
export function toJsonSafe(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : String(value); // NaN and ±Infinity become strings
    case 'bigint':
      return value.toString();
    case 'string':
    case 'boolean':
      return value;
    case 'object':
      if (Buffer.isBuffer(value)) return '\\x' + value.toString('hex');
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
      if (Array.isArray(value)) return value.map(toJsonSafe);
      return value; // parsed json/jsonb, point {x,y}, circle...: plain data
    default:
      return String(value);
  }
}
