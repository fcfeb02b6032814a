/**
 * SSE framing against a spec parser (eventsource-parser) on generated input: whatever the text, the parser
 * reads back exactly what was framed (line breaks normalized to LF, as the spec says), and `event`/`id`
 * values that could inject fields are refused.
 */
import fc from 'fast-check';
import { formatComment, formatEvent, formatJsonEvent, SseFramingError } from '../../lib/http/sse.js';
import { parseSse } from '../support/sse-client.js';
import { nastyString } from './arbitraries.js';

const normalizeBreaks = (s: string) => s.replace(/\r\n|\r/g, '\n');
/** Event names and ids that are legal: no CR, LF (and, for ids, no NUL). */
const safeField = (extraForbidden = '') =>
  nastyString(30).filter((s) => !/[\r\n]/.test(s) && !(extraForbidden && s.includes(extraForbidden)));

describe('SSE framing round-trips generated input through a spec parser', () => {
  it('data: any string comes back with line breaks normalized to \\n', () => {
    fc.assert(
      fc.property(nastyString(200), (data) => {
        const { events } = parseSse(formatEvent({ event: 'token', data }));
        expect(events).toHaveLength(1);
        expect(events[0]!.data).toBe(normalizeBreaks(data));
        expect(events[0]!.event).toBe('token');
      }),
      { numRuns: 2000 },
    );
  });

  it('event and id: any value without line breaks (ids also without NUL) comes back unchanged', () => {
    fc.assert(
      fc.property(
        safeField().filter((s) => s !== ''),
        safeField('\0'),
        nastyString(50),
        (event, id, data) => {
          const { events } = parseSse(formatEvent({ event, id, data }));
          expect(events).toHaveLength(1);
          expect(events[0]!.event).toBe(event);
          expect(events[0]!.id).toBe(id);
          expect(events[0]!.data).toBe(normalizeBreaks(data));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('event or id containing CR or LF is refused, never framed', () => {
    const withBreak = fc
      .tuple(nastyString(20), fc.constantFrom('\r', '\n', '\r\n'), nastyString(20))
      .map(([a, br, b]) => a + br + b);
    fc.assert(
      fc.property(
        withBreak,
        fc.constantFrom('event', 'id') as fc.Arbitrary<'event' | 'id'>,
        (value, field) => {
          expect(() => formatEvent({ [field]: value, data: 'x' })).toThrow(SseFramingError);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('an id containing NUL is refused (parsers would silently ignore it)', () => {
    fc.assert(
      fc.property(safeField(), safeField(), (a, b) => {
        expect(() => formatEvent({ id: `${a}\0${b}`, data: 'x' })).toThrow(SseFramingError);
      }),
      { numRuns: 200 },
    );
  });

  it('a sequence of JSON events, delivered as UTF-8 bytes cut at arbitrary points, parses to the same values', () => {
    const payload = fc.record({ text: nastyString(80), n: fc.integer() });
    fc.assert(
      fc.property(
        fc.array(payload, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        nastyString(30),
        (payloads, cuts, commentText) => {
          const text =
            formatComment(commentText) +
            payloads.map((p, i) => formatJsonEvent('token', p, `c:${i}`)).join('') +
            formatJsonEvent('done', {});
          const bytes = Buffer.from(text, 'utf8');
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          // Decode chunk by chunk as a browser's stream reader would (multi-byte characters split across chunks).
          const decoder = new TextDecoder();
          let received = '';
          let from = 0;
          for (const to of [...points, bytes.length]) {
            received += decoder.decode(bytes.subarray(from, to), { stream: true });
            from = to;
          }
          received += decoder.decode();
          const { events, comments } = parseSse(received);
          expect(events.map((e) => e.event)).toEqual([...payloads.map(() => 'token'), 'done']);
          expect(events.slice(0, -1).map((e) => JSON.parse(e.data))).toEqual(payloads);
          expect(events.slice(0, -1).map((e) => e.id)).toEqual(payloads.map((_, i) => `c:${i}`));
          expect(comments).toEqual(normalizeBreaks(commentText).split('\n'));
        },
      ),
      { numRuns: 500 },
    );
  });
});
