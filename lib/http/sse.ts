/**
 * Server-Sent Events framing (WHATWG HTML, "Server-sent events"). Pure functions: they turn fields into
 * the exact text a spec parser reads back. Every line of a payload becomes its own `data:` line (a parser
 * treats CR, LF and CRLF all as line ends), and `event`/`id` are refused when they could inject fields.
 */

export interface SseFields {
  event?: string;
  /** Raw payload text (callers with JSON use `JSON.stringify`). */
  data?: string;
  id?: string;
  retry?: number;
}

const LINE_BREAK = /\r\n|\r|\n/;

export class SseFramingError extends Error {}

function checkField(name: 'event' | 'id', value: string): void {
  if (/[\r\n]/.test(value)) throw new SseFramingError(`SSE ${name} must not contain a line break`);
  // The spec makes parsers ignore an id that contains NUL, which would silently drop resumption.
  if (name === 'id' && value.includes('\0')) throw new SseFramingError('SSE id must not contain NUL');
}

/** Frames one event, ending with the blank line that dispatches it. */
export function formatEvent(fields: SseFields): string {
  let out = '';
  if (fields.event !== undefined) {
    checkField('event', fields.event);
    out += `event: ${fields.event}\n`;
  }
  if (fields.id !== undefined) {
    checkField('id', fields.id);
    out += `id: ${fields.id}\n`;
  }
  if (fields.retry !== undefined) {
    if (!Number.isInteger(fields.retry) || fields.retry < 0) {
      throw new SseFramingError('SSE retry must be a non-negative integer');
    }
    out += `retry: ${fields.retry}\n`;
  }
  if (fields.data !== undefined) {
    for (const line of fields.data.split(LINE_BREAK)) out += `data: ${line}\n`;
  }
  return out + '\n';
}

/** A comment line (`: text`), which parsers ignore; each line of text becomes its own comment. */
export function formatComment(text: string): string {
  return (
    text
      .split(LINE_BREAK)
      .map((line) => `: ${line}\n`)
      .join('') + '\n'
  );
}

/** The standard event of the API: a named event whose data is JSON. */
export function formatJsonEvent(event: string, data: unknown, id?: string): string {
  return formatEvent({ event, data: JSON.stringify(data ?? {}), id });
}
