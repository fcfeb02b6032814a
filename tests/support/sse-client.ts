/**
 * Reads an SSE body the way a browser does, with a real spec parser (eventsource-parser), recording when
 * each event arrived. Used by every test that checks a stream over HTTP.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface ReceivedEvent {
  event: string | undefined;
  id: string | undefined;
  data: string;
  /** JSON.parse(data) when it is JSON. */
  json: any;
  /** performance.now() when the event was dispatched by the parser. */
  at: number;
}

export function parseSse(text: string): {
  events: EventSourceMessage[];
  comments: string[];
  retries: number[];
} {
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const parser = createParser({
    onEvent: (e) => events.push(e),
    onComment: (c) => comments.push(c),
    onRetry: (r) => retries.push(r),
  });
  parser.feed(text);
  return { events, comments, retries };
}

function toJson(data: string): any {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/** Consumes a fetch Response body as SSE, calling `onEvent` as each event arrives. */
export async function readSse(
  response: Response,
  onEvent?: (e: ReceivedEvent) => void | 'stop',
): Promise<{ events: ReceivedEvent[]; comments: string[] }> {
  const events: ReceivedEvent[] = [];
  const comments: string[] = [];
  let stop = false;
  const parser = createParser({
    onEvent: (e) => {
      const received = {
        event: e.event,
        id: e.id,
        data: e.data,
        json: toJson(e.data),
        at: performance.now(),
      };
      events.push(received);
      if (onEvent?.(received) === 'stop') stop = true;
    },
    onComment: (c) => comments.push(c),
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  while (!stop) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
  if (stop) await reader.cancel().catch(() => undefined);
  return { events, comments };
}
