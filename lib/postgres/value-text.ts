/**
 * Values written out (pure): exact JSON (json/jsonb embedded as the server's text), one NDJSON line, one
 * RFC 4180 CSV record. JSON.stringify cannot embed raw JSON text on Node 20, hence this small serializer.
 */
import { RawJson, type Value } from './values.js';

/** Exact JSON text of a value. `singleLine` folds line breaks inside json text (only ever white space there). */
export function valueJson(value: Value, singleLine = false): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
    case 'boolean':
      return String(value);
  }
  if (value instanceof RawJson) return singleLine ? value.text.replace(/[\r\n]/g, ' ') : value.text;
  let out = '[';
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out += ',';
    out += valueJson(value[i]!, singleLine);
  }
  return out + ']';
}

/** A CSV field: NULL is an empty field, an empty string `""`; arrays and json are their JSON text. */
export function csvField(value: Value): string {
  if (value === null) return '';
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : valueJson(value);
  if (text === '' || /[",\r\n]/.test(text)) return `"${text.replace(/"/g, '""')}"`;
  return text;
}

/** One CSV record, CRLF-terminated (RFC 4180). */
export function csvRecord(fields: Value[]): string {
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) out += ',';
    out += csvField(fields[i]!);
  }
  return out + '\r\n';
}
