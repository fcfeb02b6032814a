/**
 * Writes to the Lambda response stream with backpressure, and notices a stream that can no longer be
 * written (locally: the client went away; Lambda itself never tells). Writes to such a stream are dropped.
 */
import type { Writable } from 'node:stream';

export function isWritable(stream: Writable): boolean {
  return !stream.destroyed && !stream.writableEnded;
}

/** Resolves once the chunk is accepted, or after `drain` when the stream's buffer is full. */
export function writeChunk(stream: Writable, chunk: string | Uint8Array): Promise<void> {
  if (!isWritable(stream)) return Promise.resolve();
  return new Promise((resolve) => {
    let ok: boolean;
    try {
      ok = stream.write(chunk);
    } catch {
      resolve();
      return;
    }
    if (ok) {
      resolve();
      return;
    }
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

/** Ends the stream and resolves when it has finished (or failed: nothing more can be done then). */
export function endStream(stream: Writable): Promise<void> {
  if (stream.writableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('error', () => resolve());
    stream.end(() => resolve());
  });
}
