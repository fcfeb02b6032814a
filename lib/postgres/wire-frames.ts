/**
 * Framing and validation of what a PostgreSQL server sends (pure). node-postgres trusts the server: a copy
 * response to a plain query, an unknown message type or a malformed body throws from its socket handler (the
 * process dies), and a message that announces a huge length is buffered until it arrives. The framer sits in
 * front of pg's parser, cuts the byte stream into messages, checks each one against the protocol
 * (https://www.postgresql.org/docs/current/protocol-message-formats.html) and hands on only whole, valid
 * messages; the first violation throws a WireViolation and nothing after it is handed on.
 */

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Notices and parameter changes a session may receive: more is a flood, not diagnostics. */
export const MAX_ASYNC_MESSAGES = 10_000;

export interface WireLimits {
  /** Largest message accepted (its length field), in bytes. */
  maxMessageBytes?: number;
}

export class WireViolation extends Error {
  override name = 'WireViolation';
}

/** A message longer than maxMessageBytes (refused when its header arrives, before it is buffered). */
export class MessageTooLong extends WireViolation {
  constructor(
    readonly type: string,
    readonly length: number,
    readonly limit: number,
  ) {
    super(`a message of ${length} bytes (the limit is ${limit})`);
  }
}

const HEADER = 5;

/** Messages this client never asks for; named so the refusal says what the server did. */
const REFUSED: Record<string, string> = {
  G: 'a CopyInResponse',
  H: 'a CopyOutResponse',
  W: 'a CopyBothResponse',
  d: 'CopyData',
  c: 'CopyDone',
  A: 'a NotificationResponse (the session never listens)',
  V: 'a FunctionCallResponse',
  v: 'a NegotiateProtocolVersion (only protocol 3.0 is spoken)',
};

const STARTUP_TYPES = new Set(['R', 'S', 'K', 'Z', 'E', 'N']);
const SESSION_TYPES = new Set(['S', 'Z', 'E', 'N', 'T', 'D', 'C', 'I', '1', '2', '3', 'n', 's', 't']);
/** Messages whose body is empty. */
const EMPTY_BODY = new Set(['I', '1', '2', '3', 'n', 's']);
/** Authentication requests pg can answer: Ok, cleartext, MD5, SASL, SASL continue, SASL final. */
const AUTH_CODES = new Set([0, 3, 5, 10, 11, 12]);
/**
 * Settings pg reads results with: a change after the session started would make it misread values, and a
 * change of `is_superuser` or `session_authorization` means the role changed under us.
 */
const PINNED_PARAMETERS = new Set([
  'client_encoding',
  'DateStyle',
  'IntervalStyle',
  'integer_datetimes',
  'standard_conforming_strings',
  'is_superuser',
  'session_authorization',
]);

/** Index just past the NUL that ends the C string starting at `at`, or -1. */
function cstringEnd(body: Buffer, at: number): number {
  const nul = body.indexOf(0, at);
  return nul === -1 ? -1 : nul + 1;
}

function checkFieldList(body: Buffer, what: string): void {
  // ErrorResponse / NoticeResponse: (code byte, C string)*, then a terminating zero byte.
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    at = cstringEnd(body, at + 1);
    if (at === -1) throw new WireViolation(`${what} with an unterminated field`);
  }
  if (at !== body.length - 1) throw new WireViolation(`${what} with a malformed field list`);
}

function checkRowDescription(body: Buffer): void {
  if (body.length < 2) throw new WireViolation('a truncated RowDescription');
  const count = body.readInt16BE(0);
  if (count < 0) throw new WireViolation('a RowDescription with a negative column count');
  let at = 2;
  for (let i = 0; i < count; i++) {
    at = cstringEnd(body, at);
    if (at === -1 || at + 18 > body.length) throw new WireViolation('a truncated RowDescription');
    at += 18; // table oid, column number, type oid, type size, type modifier, format code
  }
  if (at !== body.length) throw new WireViolation('a RowDescription with trailing bytes');
}

function checkDataRow(body: Buffer): void {
  if (body.length < 2) throw new WireViolation('a truncated DataRow');
  const count = body.readInt16BE(0);
  if (count < 0) throw new WireViolation('a DataRow with a negative column count');
  let at = 2;
  for (let i = 0; i < count; i++) {
    if (at + 4 > body.length) throw new WireViolation('a truncated DataRow');
    const size = body.readInt32BE(at);
    at += 4;
    if (size === -1) continue;
    if (size < 0 || at + size > body.length) {
      throw new WireViolation('a DataRow whose value is longer than the row');
    }
    at += size;
  }
  if (at !== body.length) throw new WireViolation('a DataRow with trailing bytes');
}

function checkAuthentication(body: Buffer): void {
  if (body.length < 4) throw new WireViolation('a truncated authentication request');
  const code = body.readInt32BE(0);
  if (!AUTH_CODES.has(code)) {
    throw new WireViolation(`an authentication method the client does not support (${code})`);
  }
  const exact: Record<number, number> = { 0: 4, 3: 4, 5: 8 };
  if (exact[code] !== undefined && body.length !== exact[code]) {
    throw new WireViolation('a malformed authentication request');
  }
  if (code === 10 && (body.length < 6 || body[body.length - 1] !== 0 || body[body.length - 2] !== 0)) {
    throw new WireViolation('a malformed SASL mechanism list');
  }
}

/** Splits a server's byte stream into validated messages; one instance per connection. */
export class BackendFramer {
  private readonly maxMessageBytes: number;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes the message at the head of the buffer needs in all, once its header is known. */
  private waitingFor = HEADER;
  private started = false;
  private asyncMessages = 0;
  private readonly parameters = new Map<string, string>();

  constructor(limits: WireLimits = {}) {
    this.maxMessageBytes = limits.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** Takes the next bytes; returns the complete valid messages they finish (possibly none). */
  push(chunk: Buffer): Buffer {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.waitingFor) return EMPTY;
    const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    let at = 0;
    this.waitingFor = HEADER;
    while (data.length - at >= HEADER) {
      const type = String.fromCharCode(data[at]!);
      const length = data.readUInt32BE(at + 1);
      this.checkHeader(type, length);
      const end = at + 1 + length;
      if (end > data.length) {
        this.waitingFor = end - at;
        break;
      }
      this.checkMessage(type, data.subarray(at + HEADER, end));
      at = end;
    }
    const rest = data.subarray(at);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return at === 0 ? EMPTY : data.subarray(0, at);
  }

  private checkHeader(type: string, length: number): void {
    const refused = REFUSED[type];
    if (refused) throw new WireViolation(`${refused}`);
    const allowed = this.started ? SESSION_TYPES : STARTUP_TYPES;
    if (!allowed.has(type)) {
      const code = type.charCodeAt(0).toString(16).padStart(2, '0');
      throw new WireViolation(`an unexpected message type (0x${code})`);
    }
    if (length < 4) throw new WireViolation('a message with an impossible length');
    if (length > this.maxMessageBytes) throw new MessageTooLong(type, length, this.maxMessageBytes);
  }

  private checkMessage(type: string, body: Buffer): void {
    if (EMPTY_BODY.has(type)) {
      if (body.length !== 0) throw new WireViolation('a malformed message');
      return;
    }
    switch (type) {
      case 'D':
        return checkDataRow(body);
      case 'T':
        return checkRowDescription(body);
      case 'C':
        if (cstringEnd(body, 0) !== body.length) throw new WireViolation('a malformed CommandComplete');
        return;
      case 'Z':
        if (body.length !== 1 || !'ITE'.includes(String.fromCharCode(body[0]!))) {
          throw new WireViolation('a malformed ReadyForQuery');
        }
        this.started = true;
        return;
      case 'E':
        return checkFieldList(body, 'an ErrorResponse');
      case 'N':
        this.countAsync();
        return checkFieldList(body, 'a NoticeResponse');
      case 'S':
        return this.checkParameterStatus(body);
      case 'K':
        if (body.length !== 8) throw new WireViolation('a malformed BackendKeyData');
        return;
      case 'R':
        return checkAuthentication(body);
      case 't':
        if (body.length < 2 || body.length !== 2 + 4 * body.readInt16BE(0)) {
          throw new WireViolation('a malformed ParameterDescription');
        }
        return;
    }
  }

  private checkParameterStatus(body: Buffer): void {
    const nameEnd = cstringEnd(body, 0);
    const valueEnd = nameEnd === -1 ? -1 : cstringEnd(body, nameEnd);
    if (valueEnd !== body.length) throw new WireViolation('a malformed ParameterStatus');
    const name = body.toString('utf8', 0, nameEnd - 1);
    const value = body.toString('utf8', nameEnd, valueEnd - 1);
    if (this.started) {
      this.countAsync();
      if (PINNED_PARAMETERS.has(name) && this.parameters.get(name) !== value) {
        throw new WireViolation(`a change of ${name} during the session`);
      }
    }
    this.parameters.set(name, value);
  }

  private countAsync(): void {
    if (++this.asyncMessages > MAX_ASYNC_MESSAGES) {
      throw new WireViolation(`more than ${MAX_ASYNC_MESSAGES} notices or parameter changes`);
    }
  }
}

const EMPTY = Buffer.alloc(0);
