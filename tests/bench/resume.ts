/**
 * Resumable replies (issue 15), for a 300-token reply:
 *   - DynamoDB writes per reply: a counting proxy in front of the store, the built API in its own process;
 *   - the latency checkpointing adds to each token: the recorder's emit (numbering, state, scheduling a
 *     background checkpoint against the real store) against the bare SSE send it wraps, in one process;
 *   - reconnect → first resumed event: a client drops mid-reply and reconnects with Last-Event-ID.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReplyRecorder, checkpointPolicy } from '../../lib/chat/recorder.js';
import { newReplyState } from '../../lib/chat/reply-state.js';
import { newId } from '../../lib/ids.js';
import { createLogger } from '../../lib/log.js';
import type { SseStream } from '../../lib/http/sse-stream.js';
import { checkpointMessage, createMessage } from '../../lib/store/messages.js';
import { readSse } from '../support/sse-client.js';
import { startServeChild } from './serve.js';
import { benchServices, BENCH_USER } from './services.js';
import { median, p99, round } from './stats.js';
import { check, info, type Row } from './table.js';

const PART = 'resume';
const TOKENS = 300;
const ms = (n: number) => `${round(n, 3)} ms`;

/** Forwards every request to the store, counting DynamoDB operations by name. */
async function countingProxy(
  target: string,
): Promise<{ url: string; counts: Map<string, number>; close(): Promise<void> }> {
  const counts = new Map<string, number>();
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
    counts.set(op, (counts.get(op) ?? 0) + 1);
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 500, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { 'x-user-uid': BENCH_USER, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function writesPerReply(): Promise<{ writes: number; detail: string }> {
  const { gemini, connectorId } = await benchServices();
  const proxy = await countingProxy(process.env.DYNAMODB_ENDPOINT!);
  const saved = process.env.DYNAMODB_ENDPOINT;
  process.env.DYNAMODB_ENDPOINT = proxy.url;
  const server = await startServeChild();
  process.env.DYNAMODB_ENDPOINT = saved;
  try {
    gemini.script({ chunks: Array.from({ length: TOKENS }, (_, i) => `w${i} `), delayMs: 25 });
    proxy.counts.clear();
    const { events } = await readSse(
      await post(`${server.url}/connectors/${connectorId}/chats`, { message: 'writes' }),
    );
    if (events[events.length - 1]?.event !== 'done') throw new Error('the reply did not finish');
    const writes = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].reduce(
      (n, op) => n + (proxy.counts.get(op) ?? 0),
      0,
    );
    const detail = [...proxy.counts].map(([op, n]) => `${op} ${n}`).join(', ');
    return { writes, detail };
  } finally {
    await server.stop();
    await proxy.close();
  }
}

/** Time each token spends in the recorder (with real background checkpoints) against a bare send. */
async function recorderCost(): Promise<{ withRecorder: number[]; bare: number[]; writes: number }> {
  await benchServices(); // the store this process talks to
  const sink: SseStream = {
    send: async () => undefined,
    comment: async () => undefined,
    retry: async () => undefined,
    clientGone: false,
  };
  const chatId = newId();
  const messageId = newId();
  await createMessage(BENCH_USER, {
    id: messageId,
    chatId,
    role: 'assistant',
    content: '',
    createdAt: new Date().toISOString(),
    status: 'streaming',
    queries: [],
    lastSeq: 0,
    leaseUntil: Date.now() + 60_000,
  });
  const recorder = new ReplyRecorder({
    stream: sink,
    messageId,
    state: newReplyState(),
    write: (cp) => checkpointMessage(BENCH_USER, chatId, messageId, cp),
    hardLeaseUntil: Date.now() + 120_000,
    policy: checkpointPolicy(30_000),
    log: createLogger({ bench: PART }),
  });
  const withRecorder: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < TOKENS; i++) {
    const data = { text: `tok${i} ` };
    let t = performance.now();
    await sink.send('token', data, `${messageId}:${i}:0`);
    bare.push(performance.now() - t);
    t = performance.now();
    await recorder.emit('token', data);
    withRecorder.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 5));
  }
  await recorder.finish({ status: 'complete' });
  return { withRecorder, bare, writes: recorder.writes };
}

async function reconnectToFirstEvent(runs: number): Promise<number[]> {
  const { gemini, connectorId } = await benchServices();
  const server = await startServeChild();
  const samples: number[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      gemini.script({ chunks: Array.from({ length: 60 }, (_, i) => `r${r}-${i} `), delayMs: 20 });
      const controller = new AbortController();
      const res = await fetch(`${server.url}/connectors/${connectorId}/chats`, {
        method: 'POST',
        headers: { 'x-user-uid': BENCH_USER, 'content-type': 'application/json' },
        body: JSON.stringify({ message: `reconnect ${r}` }),
        signal: controller.signal,
      });
      let tokens = 0;
      const live = await readSse(res, (e) => (e.event === 'token' && ++tokens === 10 ? 'stop' : undefined));
      controller.abort();
      const { chatId, assistantMessageId } = live.events[0]!.json;
      const lastId = live.events[live.events.length - 1]!.id!;
      const started = performance.now();
      const again = await fetch(`${server.url}/chats/${chatId}/messages/${assistantMessageId}/events`, {
        headers: { 'x-user-uid': BENCH_USER, 'last-event-id': lastId },
      });
      let first = 0;
      await readSse(again, () => {
        first ||= performance.now() - started;
        return undefined;
      });
      samples.push(first);
    }
  } finally {
    await server.stop();
  }
  return samples;
}

export async function resume(): Promise<Row[]> {
  const w = await writesPerReply();
  const cost = await recorderCost();
  const added = cost.withRecorder.map((t, i) => t - cost.bare[i]!);
  const reconnect = await reconnectToFirstEvent(5);
  return [
    info(
      PART,
      `DynamoDB writes per ${TOKENS}-token reply`,
      String(w.writes),
      `built API in its own process, 25 ms/token; ${w.detail}`,
    ),
    check(
      PART,
      'checkpointing: added latency per token, median',
      ms(median(added)),
      '≤ 0.2 ms',
      median(added) <= 0.2,
      `p99 ${ms(p99(added))}; ${cost.writes} background checkpoint writes for ${TOKENS} tokens in one process`,
    ),
    info(
      PART,
      'reconnect → first resumed event, median',
      ms(median(reconnect)),
      `${reconnect.length} reconnects after 10 tokens, Last-Event-ID`,
    ),
  ];
}
