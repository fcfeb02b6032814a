/**
 * What the limits cost, and what a stalled client holds:
 *   - the limiter's cost per request: DynamoDB calls (counted by a middleware on the store's own client) and
 *     median milliseconds per request, with the limits on (lines set so high that nothing is refused: every
 *     check still runs) and off, for `POST /query` and a chat stream, through the in-process API and shim;
 *   - the resident memory of the built API alone in its own process while 50 chat clients stop reading
 *     (raw sockets that never read, over a Unix socket: on loopback TCP the kernel would take a whole reply
 *     before the writer saw any backpressure), and that all 50 replies are still stored.
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dynamoClient } from '../../lib/store/client.js';
import { readSse } from '../support/sse-client.js';
import { startServeChild } from './serve.js';
import { benchServices, BENCH_USER, LIMITS_OFF } from './services.js';
import { mb, median, round, settle } from './stats.js';
import { check, info, type Row } from './table.js';

const PART = 'limits';

/** Every limit on, with lines no request here reaches: each check runs and nothing is refused. */
const LIMITS_HIGH: Record<string, string> = {
  LIMIT_STREAMS_PER_USER: '1000',
  LIMIT_FOLLOW_STREAMS_PER_USER: '1000',
  LIMIT_MODEL_TOKENS_PER_DAY: '1000000000000',
  LIMIT_SQL_REQUESTS_PER_MINUTE: '1000000',
  LIMIT_SQL_CONCURRENT_PER_CONNECTOR: '1000',
  LIMIT_CONNECTORS_PER_USER: '1000000',
};

let calls = 0;
let counting = false;
function countDynamoCalls(): void {
  if (counting) return;
  counting = true;
  dynamoClient().middlewareStack.add(
    (next) => async (args) => {
      calls++;
      return next(args);
    },
    { step: 'initialize', name: 'benchCallCounter' },
  );
}

async function measure(env: Record<string, string>, n: number, run: () => Promise<void>) {
  Object.assign(process.env, env);
  for (let i = 0; i < 3; i++) await run(); // warm-up: route chunks, connections, schema cache
  calls = 0;
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  return { calls: calls / n, ms: median(times) };
}

async function perRequestCost(): Promise<Row[]> {
  const { api, gemini, connectorId } = await benchServices();
  countDynamoCalls();
  const query = async () => {
    const res = await api.request('POST', `/connectors/${connectorId}/query`, {
      user: BENCH_USER,
      body: { sql: 'select 1' },
    });
    if (res.status !== 200) throw new Error(`query: HTTP ${res.status} ${res.text}`);
  };
  const chat = async () => {
    gemini.script({ chunks: ['fine'] });
    const res = await api.fetch('POST', `/connectors/${connectorId}/chats`, {
      user: BENCH_USER,
      body: { message: 'hello' },
    });
    const { events } = await readSse(res);
    if (events[events.length - 1]?.event !== 'done') throw new Error(`chat: ${events.map((e) => e.event)}`);
  };
  const rows: Row[] = [];
  try {
    for (const [name, run, n, budget] of [
      ['POST /query', query, 200, 3],
      ['chat stream (1 model call)', chat, 40, 4],
    ] as const) {
      const off = await measure(LIMITS_OFF, n, run);
      const on = await measure(LIMITS_HIGH, n, run);
      const extra = round(on.calls - off.calls, 2);
      rows.push(
        check(
          PART,
          `${name}: DynamoDB calls per request`,
          `${round(on.calls, 2)} on, ${round(off.calls, 2)} off`,
          `≤ ${budget} extra`,
          extra <= budget,
          `the limits add ${extra}`,
        ),
        info(
          PART,
          `${name}: median per request`,
          `${round(on.ms, 2)} ms on, ${round(off.ms, 2)} ms off`,
          `the limits add ${round(on.ms - off.ms, 2)} ms (dynalite in-process; DynamoDB is ~5 ms a call)`,
        ),
      );
    }
  } finally {
    Object.assign(process.env, LIMITS_OFF);
  }
  return rows;
}

function chatRequest(connectorId: string, message: string): string {
  const body = JSON.stringify({ message });
  return (
    `POST /api/connectors/${connectorId}/chats HTTP/1.1\r\nhost: bench\r\nx-user-uid: ${BENCH_USER}\r\n` +
    `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** One chat over the Unix socket, read to its end. */
function readChat(socketPath: string, connectorId: string, message: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        method: 'POST',
        path: `/api/connectors/${connectorId}/chats`,
        headers: { 'x-user-uid': BENCH_USER, 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ message }));
  });
}

/** Memory the process holds after a GC: the JS heap and the buffers outside it. */
const held = (m: NodeJS.MemoryUsage) => m.heapUsed + m.external;

type Child = Awaited<ReturnType<typeof startServeChild>>;

/** Waits until every chat made since `since` has its reply stored; the replies' statuses, counted. */
async function storedSince(since: number, streams: number): Promise<Record<string, number>> {
  const { api } = await benchServices();
  for (;;) {
    const chats = (await api.request('GET', '/chats?limit=100', { user: BENCH_USER })).json.chats as {
      id: string;
      createdAt: string;
    }[];
    const mine = chats.filter((c) => Date.parse(c.createdAt) >= since);
    const states = await Promise.all(
      mine.map(async (c) => {
        const m = (await api.request('GET', `/chats/${c.id}`, { user: BENCH_USER })).json.messages;
        return (m.find((x: { role: string }) => x.role === 'assistant')?.status as string) ?? 'missing';
      }),
    );
    const over = mine.length >= streams && states.every((s) => s !== 'streaming');
    if (over || Date.now() - since > 240_000) {
      const tally: Record<string, number> = { 'no chat': streams - mine.length };
      for (const st of states) tally[st] = (tally[st] ?? 0) + 1;
      return tally;
    }
    await settle(250);
  }
}

interface Stall {
  /** Most held (heap + external, after a GC) and RSS while the streams sat stalled. */
  held: number;
  rss: number;
  /** Most bytes waiting in the client sockets' buffers at any time. */
  queued: number;
  /** Replies by status once over (`complete` when all went well). */
  replies: Record<string, number>;
  ms: number;
}

/**
 * `streams` clients that send a chat and never read. The bytes queued for them are sampled all along;
 * memory while their writers sit stalled (after the replies filled the buffers, before SSE_WRITE_TIMEOUT_MS
 * lets them go); then the replies are waited for.
 */
async function stall(child: Child, socketPath: string, streams: number, words: number, timeoutMs: number) {
  const { gemini, connectorId } = await benchServices();
  const reply = Array.from({ length: words }, (_, i) => `w${String(i).padStart(4, '0')} `);
  gemini.script(...Array.from({ length: streams }, () => ({ chunks: reply })));
  const started = Date.now();
  const sockets: Socket[] = [];
  let queued = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      queued = Math.max(queued, (await child.queued()).bytes);
      await settle(100);
    }
  })();
  try {
    for (let i = 0; i < streams; i++) {
      const s = connect(socketPath);
      s.on('error', () => undefined);
      s.pause(); // never reads
      s.write(chatRequest(connectorId, `stall ${i}`));
      sockets.push(s);
    }
    let most = 0;
    let rss = 0;
    await settle(timeoutMs * 0.5);
    while (Date.now() - started < timeoutMs * 0.9) {
      const m = await child.memory();
      most = Math.max(most, held(m));
      rss = Math.max(rss, m.rss);
      await settle(500);
    }
    const replies = await storedSince(started, streams);
    sampling = false;
    await sampler;
    return { held: most, rss, queued, replies, ms: Date.now() - started } satisfies Stall;
  } finally {
    sampling = false;
    for (const s of sockets) s.destroy();
  }
}

async function stalledStreams(streams: number, words: number): Promise<Row[]> {
  const { gemini, connectorId } = await benchServices();
  const dir = mkdtempSync(join(tmpdir(), 'semaia-bench-stall-'));
  const socketPath = join(dir, 'api.sock');
  const writeTimeoutMs = 15_000;
  const saved = { ...process.env };
  Object.assign(process.env, {
    SSE_WRITE_TIMEOUT_MS: String(writeTimeoutMs),
    MODEL_MAX_REPLY_CHARS: '50000',
  });
  const child = await startServeChild({ socketPath });
  process.env = saved;
  try {
    gemini.script({ chunks: ['warm ', 'up'] });
    await readChat(socketPath, connectorId, 'warm up');
    const before = await child.memory();
    const run = await stall(child, socketPath, streams, words, writeTimeoutMs);
    const after = await child.memory();
    const kb = (bytes: number) => `${round(bytes / 1024, 0)} KB`;
    // A socket's buffer (16 KB) plus the event that crossed it (a `rows` event is at most ~13 KB).
    const bound = 32 * 1024;
    const complete = run.replies.complete ?? 0;
    const others = Object.entries(run.replies)
      .filter(([status, n]) => status !== 'complete' && n > 0)
      .map(([status, n]) => `${n} ${status}`);
    return [
      check(
        PART,
        `${streams} stalled chat streams: bytes queued for them`,
        `${kb(run.queued)} (${kb(run.queued / streams)} a stream)`,
        `≤ ${kb(bound)} a stream`,
        run.queued <= bound * streams,
        `peak; the response stream's own buffer (16 KB) comes on top (tests/http/slow-client.test.ts)`,
      ),
      info(
        PART,
        `${streams} stalled chat streams: RSS`,
        `${mb(run.rss)} MB`,
        `${mb(before.rss)} MB before, ${mb(after.rss)} MB once stored; heap+ext +${mb(run.held - held(before))} MB (${kb((run.held - held(before)) / streams)} a stream: the reply so far and its paused model stream; ${words}-word replies)`,
      ),
      check(
        PART,
        `replies of stalled clients stored`,
        `${complete}/${streams}`,
        `${streams}/${streams}`,
        complete === streams,
        `in ${round(run.ms / 1000, 1)} s with SSE_WRITE_TIMEOUT_MS=${writeTimeoutMs}${others.length ? `; ${others.join(', ')}` : ''}`,
      ),
    ];
  } finally {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function limits(opts: { streams?: number; words?: number } = {}): Promise<Row[]> {
  return [
    ...(await perRequestCost()),
    ...(await stalledStreams(
      opts.streams ?? Number(process.env.BENCH_STALLED ?? 50),
      opts.words ?? Number(process.env.BENCH_STALL_WORDS ?? 4_000),
    )),
  ];
}
