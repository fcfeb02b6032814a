import { formatComment, formatEvent, formatJsonEvent, SseFramingError } from '../../lib/http/sse.js';
import { parseSse } from '../support/sse-client.js';

describe('SSE framing, read back by a spec parser', () => {
  it.each([
    ['plain', 'hello'],
    ['LF', 'line one\nline two'],
    ['CR', 'line one\rline two'],
    ['CRLF', 'line one\r\nline two'],
    ['mixed and trailing breaks', 'a\r\n\nb\rc\n'],
    ['leading space', '  indented'],
    ['NUL', 'nul\0inside'],
    ['non-ASCII', 'Grüße — 日本語 — 🚀'],
    ['colon first', ': not a comment'],
    ['empty', ''],
  ])('round-trips data with %s', (_name, data) => {
    const { events } = parseSse(formatEvent({ event: 'token', data, id: '7' }));
    expect(events).toHaveLength(1);
    // The parser normalizes every line break to LF, as the spec says.
    expect(events[0]!.data).toBe(data.replace(/\r\n|\r/g, '\n'));
    expect(events[0]!.event).toBe('token');
    expect(events[0]!.id).toBe('7');
  });

  it('round-trips JSON payloads exactly, whatever they contain', () => {
    const payload = { text: 'a\nb\r\nc\rd\0e — ü 🚀', nested: { list: [1, 'two'] } };
    const { events } = parseSse(formatJsonEvent('token', payload, 'chat:1'));
    expect(JSON.parse(events[0]!.data)).toEqual(payload);
    // JSON escapes line breaks, so a JSON event is always one data line.
    expect(formatJsonEvent('token', payload).match(/^data:/gm)).toHaveLength(1);
  });

  it('frames several events back to back, each dispatched separately', () => {
    const text =
      formatJsonEvent('token', { text: 'He' }) +
      formatJsonEvent('token', { text: 'llo' }) +
      formatJsonEvent('done', {});
    expect(parseSse(text).events.map((e) => [e.event, e.data])).toEqual([
      ['token', '{"text":"He"}'],
      ['token', '{"text":"llo"}'],
      ['done', '{}'],
    ]);
  });

  it.each([
    ['event with LF', { event: 'token\ndata: injected' }],
    ['event with CR', { event: 'token\rid: 9' }],
    ['id with CRLF', { id: '1\r\nevent: admin' }],
    ['id with NUL', { id: '1\0' }],
    ['negative retry', { retry: -1 }],
    ['fractional retry', { retry: 1.5 }],
  ])('refuses an injection attempt: %s', (_name, fields) => {
    expect(() => formatEvent({ ...fields, data: 'x' })).toThrow(SseFramingError);
  });

  it('writes retry and comments that parsers honour and ignore', () => {
    const text = formatComment('heartbeat') + formatEvent({ retry: 3000 }) + formatComment('two\nlines');
    const parsed = parseSse(text);
    expect(parsed.events).toHaveLength(0);
    expect(parsed.retries).toEqual([3000]);
    expect(parsed.comments.map((c) => c.trim())).toEqual(['heartbeat', 'two', 'lines']);
  });

  it('ends every frame with a blank line', () => {
    expect(formatEvent({ data: 'x' })).toBe('data: x\n\n');
    expect(formatComment('hb')).toBe(': hb\n\n');
  });
});
