/**
 * A scripted PostgreSQL server for the suite: it speaks the frontend/backend protocol 3.0 as the PostgreSQL
 * documentation describes it (chapter "Frontend/Backend Protocol": message flow and message formats), accepts
 * any login, and misbehaves in one way per mode. The mode is the database name the client asks for, so one
 * server serves every case and a connector picks its case by its `database` field.
 *
 * Well-behaved part: startup (optionally TLS after SSLRequest), AuthenticationOk, ParameterStatus,
 * BackendKeyData, ReadyForQuery; simple queries (`BEGIN …; SELECT …` is answered with the BEGIN and one row
 * for the session's role query, a non-privileged role unless the mode is `privileged`); extended queries
 * (Parse/Bind/Describe/Execute/Close/Sync/Flush) answered with one int4 column holding 1. The misbehaviour of
 * a mode happens at the first Execute (the user's statement), or at startup for the startup modes.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

export const HOSTILE_MODES = [
  'normal',
  'privileged',
  'copy-out',
  'copy-in',
  'copy-both',
  'copy-data',
  'unknown-type',
  'garbage',
  'huge-row',
  'malformed-row',
  'extra-column',
  'stall',
  'close-mid-row',
  'notice-flood',
  'parameter-change',
  'startup-unknown-auth',
  'startup-copy-out',
  'cleartext-password',
] as const;

export type HostileMode = (typeof HOSTILE_MODES)[number];

export interface HostileServer {
  host: string;
  port: number;
  /** Passwords clients sent (modes that ask for one), in order. */
  passwords: string[];
  /** Modes whose misbehaviour happened, in order. */
  triggered: HostileMode[];
  close(): Promise<void>;
}

export interface HostileOptions {
  /** Answer SSLRequest with 'S' and speak TLS with this key and certificate. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

// ---- backend messages ----

const message = (type: string, body: Buffer = Buffer.alloc(0)): Buffer => {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const cstr = (s: string) => Buffer.from(`${s}\0`, 'utf8');
const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

const authOk = () => message('R', int32(0));
const parameterStatus = (name: string, value: string) =>
  message('S', Buffer.concat([cstr(name), cstr(value)]));
const readyForQuery = (status: 'I' | 'T') => message('Z', Buffer.from(status));
const commandComplete = (tag: string) => message('C', cstr(tag));
const notice = (text: string) =>
  message(
    'N',
    Buffer.concat([Buffer.from('S'), cstr('NOTICE'), Buffer.from('M'), cstr(text), Buffer.from([0])]),
  );

/** RowDescription of text-format columns: [name, type oid]. */
function rowDescription(columns: [string, number][]): Buffer {
  const parts = [int16(columns.length)];
  for (const [name, oid] of columns) {
    parts.push(cstr(name), int32(0), int16(0), int32(oid), int16(-1), int32(-1), int16(0));
  }
  return message('T', Buffer.concat(parts));
}

function dataRow(values: (string | null)[]): Buffer {
  const parts = [int16(values.length)];
  for (const v of values) {
    if (v === null) parts.push(int32(-1));
    else {
      const bytes = Buffer.from(v, 'utf8');
      parts.push(int32(bytes.length), bytes);
    }
  }
  return message('D', Buffer.concat(parts));
}

const STARTUP_PARAMETERS: [string, string][] = [
  ['server_version', '17.0'],
  ['server_encoding', 'UTF8'],
  ['client_encoding', 'UTF8'],
  ['DateStyle', 'ISO, MDY'],
  ['IntervalStyle', 'postgres'],
  ['TimeZone', 'UTC'],
  ['integer_datetimes', 'on'],
  ['standard_conforming_strings', 'on'],
  ['is_superuser', 'off'],
];

/** The answer to the session's role query (lib/postgres/privileges.ts). */
function roleRow(privileged: boolean): Buffer[] {
  return [
    rowDescription([
      ['name', 25],
      ['superuser', 16],
      ['replication', 16],
      ['member_of', 1009],
    ]),
    dataRow(['hostile', privileged ? 't' : 'f', 'f', '{}']),
    commandComplete('SELECT 1'),
  ];
}

// ---- one client session ----

class Session {
  private buffer = Buffer.alloc(0);
  private startedUp = false;
  private status: 'I' | 'T' = 'I';
  private misbehaved = false;
  private awaitingPassword = false;

  constructor(
    private socket: Socket | TLSSocket,
    private readonly server: HostileServer,
    private readonly options: HostileOptions,
    private mode: HostileMode = 'normal',
  ) {
    this.listen(socket);
  }

  private listen(socket: Socket | TLSSocket): void {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
  }

  private send(...messages: Buffer[]): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(messages));
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (!this.startedUp) {
        if (this.buffer.length < 4) return;
        const length = this.buffer.readInt32BE(0);
        if (this.buffer.length < length) return;
        const body = this.buffer.subarray(4, length);
        this.buffer = this.buffer.subarray(length);
        if (this.onStartup(body) === 'tls') return;
      } else {
        if (this.buffer.length < 5) return;
        const length = this.buffer.readInt32BE(1);
        if (this.buffer.length < 1 + length) return;
        const type = String.fromCharCode(this.buffer[0]!);
        const body = this.buffer.subarray(5, 1 + length);
        this.buffer = this.buffer.subarray(1 + length);
        this.onMessage(type, body);
      }
    }
  }

  private onStartup(body: Buffer): 'tls' | undefined {
    const code = body.readInt32BE(0);
    if (code === 80877103) {
      // SSLRequest
      if (!this.options.tls) {
        this.socket.write('N');
        return undefined;
      }
      this.socket.write('S');
      this.socket.removeAllListeners('data');
      const secure = new TLSSocket(this.socket, { isServer: true, ...this.options.tls });
      this.socket = secure;
      this.listen(secure);
      return 'tls';
    }
    if (code === 80877104) {
      this.socket.write('N'); // GSSENCRequest
      return undefined;
    }
    if (code !== 196608) {
      this.socket.destroy();
      return undefined;
    }
    const fields = body.subarray(4).toString('utf8').split('\0');
    const params: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]) params[fields[i]!] = fields[i + 1]!;
    this.mode = (HOSTILE_MODES as readonly string[]).includes(params.database ?? '')
      ? (params.database as HostileMode)
      : 'normal';
    this.startedUp = true;
    if (this.mode === 'startup-unknown-auth') {
      this.trigger();
      this.send(message('R', int32(7))); // AuthenticationGSS: pg-protocol throws on it
      return undefined;
    }
    if (this.mode === 'startup-copy-out') {
      this.trigger();
      this.send(authOk(), message('H', Buffer.concat([Buffer.from([0]), int16(0)])));
      return undefined;
    }
    if (this.mode === 'cleartext-password') {
      this.awaitingPassword = true;
      this.send(message('R', int32(3)));
      return undefined;
    }
    this.finishStartup();
    return undefined;
  }

  private finishStartup(): void {
    this.send(
      authOk(),
      ...STARTUP_PARAMETERS.map(([n, v]) => parameterStatus(n, v)),
      message('K', Buffer.concat([int32(4242), int32(1234)])),
      readyForQuery('I'),
    );
  }

  private trigger(): void {
    this.misbehaved = true;
    this.server.triggered.push(this.mode);
  }

  private onMessage(type: string, body: Buffer): void {
    switch (type) {
      case 'p':
        if (this.awaitingPassword) {
          this.awaitingPassword = false;
          this.server.passwords.push(body.toString('utf8').replace(/\0$/, ''));
          this.trigger();
          this.finishStartup();
        }
        return;
      case 'Q':
        return this.simpleQuery(body.toString('utf8').replace(/\0$/, ''));
      case 'P':
        return this.send(message('1'));
      case 'B':
        return this.send(message('2'));
      case 'D':
        return this.send(rowDescription([['?column?', 23]]));
      case 'E':
        return this.execute();
      case 'C':
        return this.send(message('3'));
      case 'S':
        return this.send(readyForQuery(this.status));
      case 'X':
        this.socket.end();
        return;
      default:
        return; // Flush and anything else: nothing to answer
    }
  }

  private simpleQuery(text: string): void {
    const statements = text
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean);
    const out: Buffer[] = [];
    for (const sql of statements) {
      if (/^begin/i.test(sql)) {
        this.status = 'T';
        out.push(commandComplete('BEGIN'));
      } else if (/^rollback/i.test(sql)) {
        this.status = 'I';
        out.push(commandComplete('ROLLBACK'));
      } else if (/^select/i.test(sql)) {
        out.push(...roleRow(this.mode === 'privileged'));
      } else {
        out.push(commandComplete(sql.split(/\s/)[0]!.toUpperCase()));
      }
    }
    if (statements.length === 0) out.push(message('I'));
    this.send(...out, readyForQuery(this.status));
  }

  private execute(): void {
    if (this.misbehaved || ['normal', 'privileged', 'cleartext-password'].includes(this.mode)) {
      this.send(dataRow(['1']), commandComplete('SELECT 1'));
      return;
    }
    this.trigger();
    const copyResponse = (type: string) =>
      message(type, Buffer.concat([Buffer.from([0]), int16(1), int16(0)]));
    switch (this.mode) {
      case 'copy-out':
        return this.send(copyResponse('H'), message('d', Buffer.from('1\n')), message('c'));
      case 'copy-in':
        return this.send(copyResponse('G'));
      case 'copy-both':
        return this.send(copyResponse('W'));
      case 'copy-data':
        return this.send(message('d', Buffer.from('1\n')));
      case 'unknown-type':
        return this.send(message('q', Buffer.from('what is this')));
      case 'garbage':
        return this.send(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x13, 0x37, 0xff, 0x0a, 0x0d]));
      case 'huge-row': {
        // A DataRow announcing ~2 GB, of which a few bytes follow.
        const head = Buffer.alloc(5);
        head.write('D', 0, 'latin1');
        head.writeUInt32BE(0x7ffffff0, 1);
        return this.send(head, int16(1), int32(0x7fffffe0), Buffer.from('xxxx'));
      }
      case 'malformed-row':
        return this.send(message('D', Buffer.concat([int16(1), int32(1000), Buffer.from('abc')])));
      case 'extra-column':
        // Well framed, but more values than the RowDescription announced: pg's row parser throws on it.
        return this.send(dataRow(['1', '2']), commandComplete('SELECT 1'));
      case 'stall':
        return this.send(dataRow(['1'])); // and then nothing, with the socket left open
      case 'close-mid-row': {
        const row = dataRow(['a value that is cut off']);
        this.send(row.subarray(0, 9));
        this.socket.end();
        return;
      }
      case 'notice-flood':
        return this.flood();
      case 'parameter-change':
        return this.send(parameterStatus('client_encoding', 'SQL_ASCII'), dataRow(['1']));
      default:
        return;
    }
  }

  /** Notices without end, as fast as the client reads them, until it goes away. */
  private flood(): void {
    const batch = Buffer.concat(Array.from({ length: 200 }, (_, i) => notice(`flood ${i}`)));
    const pump = () => {
      while (!this.socket.destroyed && this.socket.writable) {
        if (!this.socket.write(batch)) return void this.socket.once('drain', pump);
      }
    };
    pump();
  }
}

export async function startHostilePostgres(options: HostileOptions = {}): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  const state: HostileServer = {
    host: '127.0.0.1',
    port: 0,
    passwords: [],
    triggered: [],
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new Session(socket, state, options);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  return state;
}
