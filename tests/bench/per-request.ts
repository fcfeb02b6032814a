/**
 * Per-request CPU cost of a JSON route: the real handler (built bundle, GET /health) against the same
 * route written with Hono's AWS Lambda streaming adapter (`streamHandle`), both in one fresh plain `node`
 * process (tests/bench/per-request-child.mjs), same event, same in-memory Lambda response stream,
 * process.cpuUsage() over many sequential requests after a warm-up. Measured twice: without request logs
 * (like for like: the Hono route logs nothing; this is the figure the target applies to) and with the
 * API's JSON log line per request written to stdout (/dev/null here), as in Lambda.
 */
import { mkdirSync, copyFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BENCH_DIR, ensureBundles } from './bundles.js';
import { runTimed } from './spawn-timed.js';
import { round } from './stats.js';
import { check, info, type Row } from './table.js';

const PART = 'per-request';

export async function perRequest(opts: { requests?: number; rounds?: number } = {}): Promise<Row[]> {
  const n = opts.requests ?? Number(process.env.BENCH_REQUESTS ?? 20_000);
  const rounds = opts.rounds ?? 3;
  const bundles = await ensureBundles();
  mkdirSync(resolve(BENCH_DIR, 'events'), { recursive: true });
  const event = resolve(BENCH_DIR, 'events', 'per-request-health.json');
  copyFileSync(resolve('tests/events/function-url-health.json'), event);

  const { LOG_LEVEL: _quiet, ...env } = process.env;
  const measure = async (logLevel: string | undefined) => {
    const run = await runTimed(
      [
        resolve('tests/bench/per-request-child.mjs'),
        bundles.runtime,
        bundles.api,
        event,
        String(n),
        String(rounds),
      ],
      { ...env, ...(logLevel ? { LOG_LEVEL: logLevel } : {}), NODE_OPTIONS: '' },
      600_000,
    );
    if (run.code !== 0 || !run.report)
      throw new Error(`per-request child failed: ${run.stderr.slice(0, 800)}`);
    // Best round of each: the least disturbed by other work on the machine.
    const report = run.report as Record<'ours' | 'hono' | 'bare', number[]>;
    return { ours: Math.min(...report.ours), hono: Math.min(...report.hono), bare: Math.min(...report.bare) };
  };
  const quiet = await measure('silent');
  const logged = await measure(undefined);
  const { ours, hono, bare } = quiet;
  const ratio = ours / hono;
  const net = (ours - bare) / (hono - bare);
  const fmt = (us: number) => `${round(us / 1000, 3)} ms`;
  return [
    info(PART, 'Hono streamHandle, GET /health', `${fmt(hono)} CPU/req`, `best of ${rounds} × ${n} requests`),
    info(PART, 'ours (built bundle), GET /health', `${fmt(ours)} CPU/req`, 'request log off, like Hono'),
    info(
      PART,
      'ours with its request log line',
      `${fmt(logged.ours)} CPU/req`,
      `the JSON line + stdout write cost ${fmt(logged.ours - ours)}; Hono here: ${fmt(logged.hono)}`,
    ),
    info(
      PART,
      'floor: bare handler, same stream',
      `${fmt(bare)} CPU/req`,
      'in-memory Lambda stream + prelude',
    ),
    check(
      PART,
      'ours / Hono',
      `${round(ratio, 2)}×`,
      '≤ 0.25×',
      ratio <= 0.25,
      `above the floor: ${round(net, 2)}×`,
    ),
  ];
}
