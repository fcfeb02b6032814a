/** What an SSE route writes to. Implemented by the response writer over the Lambda stream. */
export interface SseStream {
  /** Sends one event whose data is `JSON.stringify(data)`. Resolves when the bytes are handed to the stream. */
  send(event: string, data: unknown, id?: string): Promise<void>;
  /** Tells EventSource clients how long to wait before reconnecting (a `retry:` field, no event). */
  retry(ms: number): Promise<void>;
  /** Sends a comment line (ignored by clients; keeps proxies from closing an idle stream). */
  comment(text: string): Promise<void>;
  /** True once the client is known to be gone; later writes are dropped quietly. */
  readonly clientGone: boolean;
}
