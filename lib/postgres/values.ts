/**
 * Result values, exact and independent of the Node process (docs/api.md, "Values", is the table):
 * every value arrives as PostgreSQL's text (the session's output settings are pinned at connect) and is turned
 * into JSON only where JSON can hold it exactly — booleans, int2/int4/oid and finite floats become JSON
 * literals; json/jsonb stay the server's own text (RawJson); timestamps become ISO 8601 text; everything else
 * (int8, numeric, money, dates, times, intervals, geometry, enums, ranges, composites...) stays the server's
 * text. Arrays are parsed element by element with the same rules. Nothing goes through a JS Date or parseFloat.
 */
import { parseArrayLiteral } from './array-literal.js';

/** json/jsonb as the server sent it: embedded in a response as is, so no number is rounded. */
export class RawJson {
  constructor(readonly text: string) {}
}

export type Value = null | boolean | number | string | RawJson | Value[];

/** How a scalar's text becomes a Value. */
export type ValueKind = 'bool' | 'int' | 'float' | 'timestamp' | 'json' | 'text';

export interface ValueType {
  kind: ValueKind;
  /** For array types: the element's kind and the array literal's delimiter (`,`; `;` for box). */
  array?: { element: ValueKind; delimiter: string };
}

/** `2024-01-02 03:04:05.123456+05:30` → `2024-01-02T03:04:05.123456+05:30` (all digits kept). */
export function timestampToIso(text: string): string {
  const m = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d(?::?\d\d)?(?::?\d\d)?)?$/.exec(text);
  if (!m) return text; // infinity, BC dates: keep PostgreSQL's spelling
  const [, date, time, offset] = m;
  if (offset === undefined) return `${date}T${time}`;
  if (offset === '+00') return `${date}T${time}Z`;
  return `${date}T${time}${offset.length === 3 ? `${offset}:00` : offset}`;
}

const SCALAR: Record<ValueKind, (text: string) => Value> = {
  bool: (t) => t === 't',
  int: Number,
  // extra_float_digits=3 makes the server print the shortest text that reads back exactly.
  float: (t) => {
    const n = Number(t);
    return Number.isFinite(n) ? n : t; // NaN, Infinity, -Infinity stay text
  },
  timestamp: timestampToIso,
  json: (t) => new RawJson(t),
  text: (t) => t,
};

/** The function that turns one value's text into a Value. */
export function converterFor(type: ValueType): (text: string) => Value {
  const array = type.array;
  if (!array) return SCALAR[type.kind];
  const element = SCALAR[array.element];
  return (text) => parseArrayLiteral(text, array.delimiter, element);
}

/** A Value as plain data (json parsed), for code that stores or re-serializes it with JSON.stringify. */
export function plainValue(value: Value): unknown {
  if (value instanceof RawJson) return JSON.parse(value.text) as unknown;
  if (Array.isArray(value)) return value.map(plainValue);
  return value;
}
