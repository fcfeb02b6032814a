/**
 * What the Function URL front end does with the bytes a streaming function writes: when the content type
 * is `application/vnd.awslambda.http-integration-response`, the bytes up to 8 NULs are a JSON prelude
 * (status, headers, cookies) and the rest is the body; otherwise everything is body, sent as 200.
 */
import { PRELUDE_CONTENT_TYPE } from './lambda-runtime.js';

export interface ResponseHead {
  statusCode: number;
  headers: Record<string, string | string[]>;
}

export class BadPrelude extends Error {}

const DELIMITER_LENGTH = 8;

export class PreludeDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private headDone = false;

  constructor(private readonly contentType: () => string) {}

  get headSent(): boolean {
    return this.headDone;
  }

  /** Feeds bytes; returns the head once it is complete (once), and any body bytes. */
  push(chunk: Buffer): { head?: ResponseHead; body?: Buffer } {
    if (this.headDone) return { body: chunk };
    if (this.contentType() !== PRELUDE_CONTENT_TYPE) {
      this.headDone = true;
      return { head: { statusCode: 200, headers: { 'content-type': this.contentType() } }, body: chunk };
    }
    this.pending = Buffer.concat([this.pending, chunk]);
    const at = findDelimiter(this.pending);
    if (at < 0) return {};
    const head = parsePrelude(this.pending.subarray(0, at));
    const body = this.pending.subarray(at + DELIMITER_LENGTH);
    this.pending = Buffer.alloc(0);
    this.headDone = true;
    return { head, body: body.length > 0 ? body : undefined };
  }

  /** At the end of the stream: a stream with bytes but no complete prelude cannot be answered (502). */
  finish(): { head?: ResponseHead } {
    if (this.headDone) return {};
    if (this.pending.length > 0) throw new BadPrelude('Response ended before the prelude delimiter');
    this.headDone = true;
    return { head: { statusCode: 200, headers: {} } };
  }
}

function findDelimiter(buf: Buffer): number {
  let run = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0) {
      run++;
      if (run === DELIMITER_LENGTH) return i - DELIMITER_LENGTH + 1;
    } else run = 0;
  }
  return -1;
}

export function parsePrelude(bytes: Buffer): ResponseHead {
  let prelude: unknown;
  try {
    prelude = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new BadPrelude('Prelude is not JSON');
  }
  if (typeof prelude !== 'object' || prelude === null) throw new BadPrelude('Prelude is not an object');
  const p = prelude as { statusCode?: unknown; headers?: unknown; cookies?: unknown };
  const statusCode = typeof p.statusCode === 'number' ? p.statusCode : 200;
  const headers: Record<string, string | string[]> = {};
  if (typeof p.headers === 'object' && p.headers !== null) {
    for (const [k, v] of Object.entries(p.headers)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
  }
  if (Array.isArray(p.cookies) && p.cookies.length > 0) {
    headers['set-cookie'] = p.cookies.filter((c): c is string => typeof c === 'string');
  }
  return { statusCode, headers };
}
