/**
 * Writes to the Lambda response stream with backpressure, and notices a stream that can no longer be
 * written (locally: the client went away; Lambda itself never tells). Writes to such a stream are dropped.
 * A client that stops reading without leaving is noticed by time: a write that has not drained within
 * `timeoutMs` reports false, and the caller treats the client as gone.
 */
import type { Writable } from 'node:stream';

export function isWritable(stream: Writable): boolean {
  return !stream.destroyed && !stream.writableEnded;
}

/**
 * Resolves once the chunk is accepted, or after `drain` when the stream's buffer is full: true then; false
 * when it had not drained after `timeoutMs` (the chunk stays in the stream's buffer: nothing more should be
 * written). A stream that closes or fails meanwhile resolves true: there is nobody left to wait for.
 */
export function writeChunk(
  stream: Writable,
  chunk: string | Uint8Array,
  timeoutMs = Infinity,
): Promise<boolean> {
  if (!isWritable(stream)) return Promise.resolve(true);
  return new Promise((resolve) => {
    let ok: boolean;
    try {
      ok = stream.write(chunk);
    } catch {
      resolve(true);
      return;
    }
    if (ok) {
      resolve(true);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const settle = (drained: boolean) => {
      clearTimeout(timer);
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve(drained);
    };
    const done = () => settle(true);
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
    if (Number.isFinite(timeoutMs)) timer = setTimeout(() => settle(false), timeoutMs);
  });
}

/**
 * Ends the stream and resolves when it has finished (or failed: nothing more can be done then). When it
 * has not finished within `timeoutMs` (a client that stopped reading), it is destroyed: its buffer is freed
 * and the front end cuts the response.
 */
export function endStream(stream: Writable, timeoutMs = Infinity): Promise<void> {
  if (stream.writableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    stream.once('error', done);
    stream.end(done);
    if (Number.isFinite(timeoutMs)) {
      timer = setTimeout(() => {
        stream.destroy();
        resolve();
      }, timeoutMs);
    }
  });
}
