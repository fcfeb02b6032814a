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
 * Ends the stream and resolves when it has finished (or failed: nothing more can be done then), or after
 * `timeoutMs` when a client that stopped reading keeps it from finishing. The stream is then left to finish
 * by itself: the runtime cannot drop a response (destroying the stream would leave the invocation hanging:
 * tests/local/streaming-rules.ts, destroyMidStream), so it ends once the client reads again, or at the
 * function's timeout. False when it had not finished in time.
 */
export function endStream(stream: Writable, timeoutMs = Infinity): Promise<boolean> {
  if (stream.writableEnded || stream.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    stream.once('error', done);
    stream.end(done);
    if (Number.isFinite(timeoutMs)) timer = setTimeout(() => resolve(false), timeoutMs);
  });
}
