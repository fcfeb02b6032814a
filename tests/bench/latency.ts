/**
 * Streaming latency through the local shim, in one process so both ends read the same clock
 * (performance.now()):
 *   (a) SSE write → client arrival: a route on the real dispatcher writes token events whose data carries
 *       the time of the write; the HTTP client (fetch + eventsource-parser) notes when each is dispatched;
 *   (b) model chunk → client arrival: the real chat route of the built API, running alone in its own
 *       process behind the shim (as a Lambda container would), against the scripted Gemini server in this
 *       process; the time each chunk is written by the model server is recorded (by its unique text) and
 *       matched with the token event carrying that text at the client, also in this process — one clock.
 * Also prints the model route's first-use cost (first chat request minus a later one).
 */
import { ServerResponse } from 'node:http';
import type { StreamifyHandler } from 'aws-lambda';
import { dispatch } from '../../lib/http/dispatch.js';
import { createRouter } from '../../lib/http/router.js';
import { sse } from '../../lib/http/types.js';
import { installLambdaGlobals } from '../../lib/local/lambda-runtime.js';
import { startTestApi } from '../support/api.js';
import { readSse } from '../support/sse-client.js';
import { startServeChild } from './serve.js';
import { benchServices, BENCH_USER } from './services.js';
import { median, p99, round } from './stats.js';
import { check, info, type Row } from './table.js';

const PART = 'latency';
const WARMUP_CHATS = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (n: number) => `${round(n, 2)} ms`;

/** (a) The dispatcher's SSE writes, through the shim, to a fetch client. */
async function writeToArrival(tokens: number, gapMs: number): Promise<number[]> {
  installLambdaGlobals();
  const router = createRouter([
    {
      method: 'GET',
      pattern: '/ticks',
      auth: false,
      load: async () => async () =>
        sse(async (stream) => {
          for (let i = 0; i < tokens; i++) {
            await stream.send('token', { i, t: performance.now() });
            await sleep(gapMs);
          }
          await stream.send('done', {});
        }),
    },
  ]);
  const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
    await dispatch(event, responseStream, context, router);
  }) as unknown as StreamifyHandler;
  const api = await startTestApi({ handler, store: false });
  try {
    const res = await api.fetch('GET', '/ticks', { user: null });
    const { events } = await readSse(res);
    const samples = events.filter((e) => e.event === 'token').map((e) => e.at - (e.json as { t: number }).t);
    if (samples.length !== tokens) throw new Error(`expected ${tokens} tokens, got ${samples.length}`);
    return samples;
  } finally {
    await api.close();
  }
}

/** Notes when the scripted model server writes each chunk, keyed by the chunk's text. */
function recordModelWrites(): { sentAt: Map<string, number>; restore: () => void } {
  const sentAt = new Map<string, number>();
  const original = ServerResponse.prototype.write;
  ServerResponse.prototype.write = function write(this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    if (typeof chunk === 'string' && chunk.startsWith('data: {"candidates"')) {
      const at = performance.now();
      for (const m of chunk.matchAll(/"text":"(lat-s?\d+-\d+ )"/g)) sentAt.set(m[1]!, at);
    }
    return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof original;
  return { sentAt, restore: () => (ServerResponse.prototype.write = original) };
}

/** (b) Scripted model chunk → token at the client, through the real chat route. */
async function chunkToArrival(
  chats: number,
  tokens: number,
  gapMs: number,
): Promise<{ samples: number[]; firstMs: number; laterMs: number }> {
  const { gemini, connectorId } = await benchServices();
  const server = await startServeChild();
  const { sentAt, restore } = recordModelWrites();
  const samples: number[] = [];
  const durations: number[] = [];
  try {
    for (let c = 0; c < chats; c++) {
      const texts = Array.from({ length: tokens }, (_, i) => `lat-${c}-${i} `);
      gemini.script({ chunks: texts, delayMs: gapMs });
      const started = performance.now();
      const res = await fetch(`${server.url}/connectors/${connectorId}/chats`, {
        method: 'POST',
        headers: { 'x-user-uid': BENCH_USER, 'content-type': 'application/json' },
        body: JSON.stringify({ message: `latency run ${c}` }),
      });
      if (res.status !== 200) throw new Error(`chat ${c}: HTTP ${res.status} ${await res.text()}`);
      const { events } = await readSse(res);
      durations.push(performance.now() - started);
      const kinds = events.map((e) => e.event);
      if (!kinds.includes('stored') || kinds[kinds.length - 1] !== 'done') {
        throw new Error(`chat ${c} did not end with stored + done: ${kinds.join(',')}`);
      }
      // The first chats warm the fresh process up (JIT, lazy chunks, connections): not counted.
      if (c < WARMUP_CHATS) continue;
      for (const e of events.filter((x) => x.event === 'token')) {
        const text = (e.json as { text: string }).text;
        // A token event may carry one chunk's text or (if the route merged them) several.
        for (const m of text.matchAll(/lat-\d+-\d+ /g)) {
          const sent = sentAt.get(m[0]);
          if (sent !== undefined) samples.push(e.at - sent);
        }
      }
    }
  } finally {
    restore();
    await server.stop();
  }
  if (samples.length < (chats - WARMUP_CHATS) * tokens * 0.9)
    throw new Error(`only ${samples.length} of ${(chats - WARMUP_CHATS) * tokens} tokens matched`);
  // Fixed scripted time (tokens × gap) is the same for every chat, so the difference is the first-use cost.
  return { samples, firstMs: durations[0]!, laterMs: median(durations.slice(1)) };
}

/** (c) The floor under (b): scripted model chunk → the SDK yielding it, with no Semaia code in between. */
async function chunkToSdk(chats: number, tokens: number, gapMs: number): Promise<number[]> {
  const { gemini } = await benchServices();
  const { GoogleGenAI } = await import('@google/genai');
  const ai = new GoogleGenAI({ apiKey: 'bench-key', httpOptions: { baseUrl: gemini.url } });
  const { sentAt, restore } = recordModelWrites();
  const samples: number[] = [];
  try {
    for (let c = 0; c < chats; c++) {
      gemini.script({ chunks: Array.from({ length: tokens }, (_, i) => `lat-s${c}-${i} `), delayMs: gapMs });
      const stream = await ai.models.generateContentStream({ model: 'bench', contents: 'latency' });
      for await (const chunk of stream) {
        const at = performance.now();
        if (c < WARMUP_CHATS) continue;
        for (const m of (chunk.text ?? '').matchAll(/lat-s\d+-\d+ /g)) {
          const sent = sentAt.get(m[0]);
          if (sent !== undefined) samples.push(at - sent);
        }
      }
    }
  } finally {
    restore();
  }
  return samples;
}

export async function latency(): Promise<Row[]> {
  const a = await writeToArrival(400, 3);
  const b = await chunkToArrival(8, 50, 5);
  const c = await chunkToSdk(8, 50, 5);
  return [
    check(
      PART,
      '(a) SSE write → client, p99',
      ms(p99(a)),
      '≤ 2 ms',
      p99(a) <= 2,
      `median ${ms(median(a))}, ${a.length} tokens`,
    ),
    check(
      PART,
      '(b) model chunk → client, p99',
      ms(p99(b.samples)),
      '≤ 2 ms',
      p99(b.samples) <= 2,
      `median ${ms(median(b.samples))}, ${b.samples.length} tokens, real chat route, API in its own process`,
    ),
    info(
      PART,
      '(c) floor of (b): model chunk → SDK yield, p99',
      ms(p99(c)),
      `median ${ms(median(c))}: @google/genai + undici alone, no Semaia code, same process as the model`,
    ),
    info(
      PART,
      'first chat request − later ones',
      ms(b.firstMs - b.laterMs),
      `built bundle; SDK chunk and schema read on first use; first ${ms(b.firstMs)}, later ${ms(b.laterMs)}`,
    ),
  ];
}
