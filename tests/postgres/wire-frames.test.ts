/** The framer on its own: any split of a valid stream gives back the same bytes, and violations are named. */
import fc from 'fast-check';
import { BackendFramer, WireViolation } from '../../lib/postgres/wire-frames.js';

const message = (type: string, body: Buffer = Buffer.alloc(0)) => {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const cstr = (s: string) => Buffer.from(`${s}\0`);
const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const status = (name: string, value: string) => message('S', Buffer.concat([cstr(name), cstr(value)]));
const dataRow = (...values: (string | null)[]) =>
  message(
    'D',
    Buffer.concat([
      int16(values.length),
      ...values.map((v) =>
        v === null ? int32(-1) : Buffer.concat([int32(Buffer.byteLength(v)), Buffer.from(v)]),
      ),
    ]),
  );

const STARTUP = Buffer.concat([
  message('R', int32(0)),
  status('client_encoding', 'UTF8'),
  status('DateStyle', 'ISO, MDY'),
  message('K', Buffer.concat([int32(1), int32(2)])),
  message('Z', Buffer.from('I')),
]);
const RESULT = Buffer.concat([
  message('1'),
  message('2'),
  message(
    'T',
    Buffer.concat([int16(1), cstr('n'), int32(0), int16(0), int32(23), int16(4), int32(-1), int16(0)]),
  ),
  dataRow('1'),
  dataRow(null),
  dataRow('x'.repeat(300)),
  message('N', Buffer.concat([Buffer.from('M'), cstr('hello'), Buffer.from([0])])),
  status('application_name', 'other'),
  message('C', cstr('SELECT 3')),
  message('Z', Buffer.from('T')),
]);

function feed(framer: BackendFramer, bytes: Buffer, cuts: number[]): Buffer {
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length)].sort((a, b) => a - b)) {
    out.push(framer.push(bytes.subarray(from, cut)));
    from = cut;
  }
  out.push(framer.push(bytes.subarray(from)));
  return Buffer.concat(out);
}

const violation = (bytes: Buffer, limits = {}) => {
  const framer = new BackendFramer(limits);
  try {
    framer.push(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(WireViolation);
    return (err as Error).message;
  }
  throw new Error('no violation');
};

describe('BackendFramer', () => {
  it('hands on exactly the bytes of whole messages, however the stream is cut', () => {
    const stream = Buffer.concat([STARTUP, RESULT]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 40 }), (cuts) => {
        expect(feed(new BackendFramer(), stream, cuts).equals(stream)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('holds a partial message back until its last byte arrives', () => {
    const framer = new BackendFramer();
    framer.push(STARTUP);
    const row = dataRow('abc');
    expect(framer.push(row.subarray(0, 3)).length).toBe(0);
    expect(framer.push(row.subarray(3, row.length - 1)).length).toBe(0);
    expect(framer.push(row.subarray(row.length - 1)).equals(row)).toBe(true);
  });

  it('refuses copy responses, unknown types and session messages during startup, by name', () => {
    const session = (m: Buffer) => Buffer.concat([STARTUP, m]);
    expect(violation(session(message('H', Buffer.from([0, 0, 0]))))).toBe('a CopyOutResponse');
    expect(violation(session(message('G', Buffer.from([0, 0, 0]))))).toBe('a CopyInResponse');
    expect(violation(session(message('W', Buffer.from([0, 0, 0]))))).toBe('a CopyBothResponse');
    expect(violation(session(message('d', Buffer.from('x'))))).toBe('CopyData');
    expect(violation(session(message('A', Buffer.concat([int32(1), cstr('c'), cstr('p')]))))).toMatch(
      /NotificationResponse/,
    );
    expect(violation(session(message('q')))).toBe('an unexpected message type (0x71)');
    expect(violation(dataRow('1'))).toBe('an unexpected message type (0x44)'); // before ReadyForQuery
    expect(violation(session(message('R', int32(0))))).toMatch(/unexpected message type/);
  });

  it('checks lengths before buffering and the structure of what pg parses', () => {
    const huge = Buffer.from([0x44, 0x7f, 0xff, 0xff, 0xff]);
    expect(violation(Buffer.concat([STARTUP, huge]))).toMatch(/message of 2147483647 bytes/);
    expect(violation(Buffer.concat([STARTUP, dataRow('abcdef')]), { maxMessageBytes: 8 })).toMatch(
      /the limit is 8/,
    );
    const header = (type: string, length: number) => {
      const b = Buffer.alloc(5);
      b.write(type, 0, 'latin1');
      b.writeUInt32BE(length, 1);
      return b;
    };
    expect(violation(Buffer.concat([STARTUP, header('C', 2)]))).toBe('a message with an impossible length');
    const short = message('D', Buffer.concat([int16(1), int32(10), Buffer.from('abc')]));
    expect(violation(Buffer.concat([STARTUP, short]))).toMatch(/longer than the row/);
    const trailing = message('D', Buffer.concat([int16(0), Buffer.from('zz')]));
    expect(violation(Buffer.concat([STARTUP, trailing]))).toMatch(/trailing bytes/);
    expect(violation(Buffer.concat([STARTUP, message('Z', Buffer.from('X'))]))).toMatch(/ReadyForQuery/);
    expect(violation(Buffer.concat([STARTUP, message('C', Buffer.from('no nul'))]))).toMatch(
      /CommandComplete/,
    );
    expect(violation(message('R', int32(7)))).toMatch(/authentication method .* \(7\)/);
    expect(violation(message('E', Buffer.from('Mno terminator')))).toMatch(/ErrorResponse/);
  });

  it('refuses a change of a pinned setting after startup, not of others', () => {
    const framer = new BackendFramer();
    framer.push(STARTUP);
    expect(framer.push(status('application_name', 'x')).length).toBeGreaterThan(0);
    expect(framer.push(status('DateStyle', 'ISO, MDY')).length).toBeGreaterThan(0); // unchanged
    expect(() => framer.push(status('DateStyle', 'SQL, DMY'))).toThrow(
      'a change of DateStyle during the session',
    );
  });

  it('bounds notices', () => {
    const framer = new BackendFramer();
    framer.push(STARTUP);
    const notice = message('N', Buffer.concat([Buffer.from('M'), cstr('n'), Buffer.from([0])]));
    framer.push(Buffer.concat(Array.from({ length: 10_000 }, () => notice)));
    expect(() => framer.push(notice)).toThrow(/more than 10000 notices/);
  });
});
