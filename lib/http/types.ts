import type { User } from '../types.js';
import type { Logger } from '../log.js';
import type { SseStream } from './sse-stream.js';

/** A request after normalization: the same shape whatever event or server it came from. */
export interface ApiRequest {
  requestId: string;
  method: string; // upper case
  /** Path after stage and `/api` trimming, e.g. `/chats/01h...`. */
  path: string;
  /** Lower-case names; repeated headers joined with `, ` (cookies are in `cookies`). */
  headers: Record<string, string>;
  /** Query parameters; a repeated name keeps its first value. */
  query: Record<string, string>;
  cookies: string[];
  /** Raw body bytes (already base64-decoded), or undefined when there is none. */
  body: Buffer | undefined;
  sourceIp: string | undefined;
  /** The authenticated user, when the event or the headers name one. */
  user: User | undefined;
  /** Where `user` came from: an API Gateway authorizer's context, or the `x-user-*` headers. */
  userSource?: 'authorizer' | 'headers';
}

/** What a route handler receives. */
export interface RouteContext extends ApiRequest {
  params: Record<string, string>;
  user: User; // routes marked `auth: false` must not read it
  /** Aborted when the local shim sees the client go away. Lambda never signals this: do not depend on it. */
  signal: AbortSignal;
  /** Milliseconds left before the function is stopped. */
  remainingMs: () => number;
  /**
   * Aborted, with an AppError `Shutdown` as its reason, when the local server is stopping and work still
   * running must end now (after its grace period). Lambda has no such signal; it never aborts there.
   */
  shutdown: AbortSignal;
  log: Logger;
}

export type JsonReply = { kind: 'json'; status: number; body?: unknown; headers?: Record<string, string> };
export type SseReply = {
  kind: 'sse';
  headers?: Record<string, string>;
  /** Writes the events. A throw after the first event becomes an `error` event; the stream is then ended. */
  run: (stream: SseStream) => Promise<void>;
};
/** A body written as it is produced, with backpressure. */
export interface BodyWriter {
  /** Resolves when the chunk is accepted; the status line and headers go out before the first one. */
  write(chunk: string | Uint8Array): Promise<void>;
  /** True once the first byte went out: an error after that can only cut the response. */
  readonly started: boolean;
}
export type StreamReply = {
  kind: 'stream';
  status: number;
  /** `content-type` included. */
  headers: Record<string, string>;
  /**
   * Writes the body. A throw before the first write becomes the usual JSON error response; a throw after it
   * fails the invocation, which cuts the response (the client sees an incomplete body, never a short one
   * that looks whole).
   */
  run: (body: BodyWriter) => Promise<void>;
};
export type Reply = JsonReply | SseReply | StreamReply;

export const json = (status: number, body?: unknown, headers?: Record<string, string>): JsonReply => ({
  kind: 'json',
  status,
  body,
  headers,
});
export const noContent = (): JsonReply => ({ kind: 'json', status: 204 });
export const sse = (run: SseReply['run'], headers?: Record<string, string>): SseReply => ({
  kind: 'sse',
  run,
  headers,
});

export const streamBody = (
  status: number,
  headers: Record<string, string>,
  run: StreamReply['run'],
): StreamReply => ({ kind: 'stream', status, headers, run });

export type RouteHandler = (ctx: RouteContext) => Promise<Reply>;
