/**
 * Load and soak through the local shim with the real handler, store and scripted model:
 *   - 200 concurrent chat streams: every stream ends with `stored` then `done`, and the store holds exactly
 *     one user and one assistant message per chat (no reply lost, none stored twice);
 *   - open file descriptors (/proc/self/fd: the shim, the client and dynalite all live in this process)
 *     come back to the baseline once keep-alive sockets idle out;
 *   - resident memory growth over 10,000 JSON requests after a warm-up, with forced GC, of the built API
 *     alone in its own process (tests/bench/serve-child.mjs; the store and the load generator stay here).
 */
import { readdirSync } from 'node:fs';
import { readSse } from '../support/sse-client.js';
import { startServeChild } from './serve.js';
import { benchServices, BENCH_USER } from './services.js';
import { mb, median, round, settle } from './stats.js';
import { check, info, type Row } from './table.js';

const PART = 'soak';

const openFds = (): number => readdirSync('/proc/self/fd').length;

async function concurrentChats(n: number): Promise<{ rows: Row[]; fdBaseline: number }> {
  const { api, gemini, connectorId } = await benchServices();
  // Warm-up: loads the model route and caches the connector's schema, so the burst measures streaming.
  gemini.script({ chunks: ['warm ', 'up'] });
  await readSse(
    await api.fetch('POST', `/connectors/${connectorId}/chats`, {
      user: BENCH_USER,
      body: { message: 'warm-up' },
    }),
  );
  await settle(6_000); // keep-alive sockets of the warm-up idle out
  const fdBaseline = openFds();

  gemini.script(
    ...Array.from({ length: n }, (_, i) => ({ chunks: [`reply `, `to `, `stream `, `${i}`], delayMs: 10 })),
  );
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await api.fetch('POST', `/connectors/${connectorId}/chats`, {
        user: BENCH_USER,
        body: { message: `soak stream ${i}` },
      });
      if (res.status !== 200) return { ok: false, chatId: undefined, why: `HTTP ${res.status}` };
      const { events } = await readSse(res);
      const kinds = events.map((e) => e.event);
      const chatId = (events.find((e) => e.event === 'chat')?.json as { chatId?: string } | undefined)
        ?.chatId;
      const ok =
        kinds.includes('stored') &&
        kinds[kinds.length - 1] === 'done' &&
        kinds.indexOf('stored') < kinds.length - 1;
      return { ok, chatId, why: ok ? '' : kinds.join(',') };
    }),
  );
  const elapsed = performance.now() - started;
  const completed = outcomes.filter((o) => o.ok).length;

  // Exactly one user and one assistant message stored per chat.
  let exactlyOnce = 0;
  const problems: string[] = [];
  for (const o of outcomes) {
    if (!o.chatId) continue;
    const chat = await api.request('GET', `/chats/${o.chatId}`, { user: BENCH_USER });
    const roles = ((chat.json?.messages ?? []) as { role: string }[]).map((m) => m.role);
    if (
      roles.length === 2 &&
      roles.filter((r) => r === 'user').length === 1 &&
      roles.filter((r) => r === 'assistant').length === 1
    ) {
      exactlyOnce++;
    } else if (problems.length < 3) problems.push(`${o.chatId}: ${roles.join(',')}`);
  }

  // File descriptors: wait for idle keep-alive sockets (client, shim, SDK ↔ dynalite) to close.
  const peakFds = openFds();
  let fdsAfter = peakFds;
  const until = Date.now() + 20_000;
  while (fdsAfter > fdBaseline && Date.now() < until) {
    await settle(500);
    fdsAfter = openFds();
  }

  const firstProblem = outcomes.find((o) => !o.ok)?.why;
  return {
    fdBaseline,
    rows: [
      check(
        PART,
        `${n} concurrent chat streams complete`,
        `${completed}/${n}`,
        `${n}/${n}`,
        completed === n,
        `${round(elapsed / 1000, 1)} s wall${firstProblem ? `; ${firstProblem}` : ''}`,
      ),
      check(
        PART,
        'replies stored exactly once',
        `${exactlyOnce}/${n}`,
        `${n}/${n} (1 user + 1 assistant)`,
        exactlyOnce === n,
        problems.join('; '),
      ),
      check(
        PART,
        'open fds back to baseline',
        `${fdsAfter} (peak ${peakFds})`,
        `≤ ${fdBaseline} (baseline)`,
        fdsAfter <= fdBaseline,
      ),
    ],
  };
}

async function memoryGrowth(requests: number): Promise<Row[]> {
  await benchServices(); // the store (dynalite in this process) and a connector for the user
  const server = await startServeChild();
  try {
    const paths = ['/chats', '/chats?limit=5', '/health', '/connectors'];
    const run = async (count: number, latencies?: number[]) => {
      const concurrency = 10;
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < count) {
            const path = paths[next++ % paths.length]!;
            const t = performance.now();
            const res = await fetch(server.url + path, { headers: { 'x-user-uid': BENCH_USER } });
            await res.arrayBuffer();
            if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
            latencies?.push(performance.now() - t);
          }
        }),
      );
    };
    await run(2_000); // warm-up: JIT, lazy chunks, SDK connection pool
    const before = await server.memory();
    const latencies: number[] = [];
    await run(requests, latencies);
    const after = await server.memory();
    const growth = after.rss - before.rss;
    return [
      check(
        PART,
        `RSS growth over ${requests} JSON requests`,
        `${mb(growth)} MB`,
        '< 20 MB',
        growth < 20 * 1024 * 1024,
        `built API alone in a process: RSS ${mb(before.rss)} → ${mb(after.rss)} MB, heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)} MB; median ${round(median(latencies), 2)} ms/req`,
      ),
    ];
  } finally {
    await server.stop();
  }
}

export async function soak(opts: { streams?: number; requests?: number } = {}): Promise<Row[]> {
  const streams = opts.streams ?? Number(process.env.BENCH_STREAMS ?? 200);
  const requests = opts.requests ?? Number(process.env.BENCH_SOAK_REQUESTS ?? 10_000);
  const { rows } = await concurrentChats(streams);
  rows.push(...(await memoryGrowth(requests)));
  rows.push(info(PART, 'process fds at end', String(openFds())));
  return rows;
}
