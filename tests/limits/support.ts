/** Helpers of the limit tests: streams held open, conditions waited for, the minute's end avoided. */
import type { TestDatabase } from '../support/postgres.js';
import { readSse, type ReceivedEvent } from '../support/sse-client.js';

export interface OpenStream {
  status: number;
  /** Resolves with the first event (the stream has started and holds its lease). */
  first: Promise<ReceivedEvent>;
  /** Resolves with every event once the stream ends. */
  done: Promise<ReceivedEvent[]>;
}

export async function openStream(response: Promise<Response>): Promise<OpenStream> {
  const res = await response;
  if (res.status !== 200) throw new Error(`expected a stream, got HTTP ${res.status}: ${await res.text()}`);
  let resolveFirst!: (e: ReceivedEvent) => void;
  const first = new Promise<ReceivedEvent>((resolve) => (resolveFirst = resolve));
  const done = readSse(res, (e) => resolveFirst(e)).then((r) => r.events);
  return { status: res.status, first, done };
}

export const eventNames = (events: ReceivedEvent[]) => events.map((e) => e.event);

export async function waitFor(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Sessions of the database running `select pg_sleep…` right now. */
export async function sleepingSessions(db: TestDatabase): Promise<number> {
  const r = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'select pg_sleep%'`,
  );
  return Number(r.rows[0]!.n);
}

/** Waits until the current UTC minute has at least `ms` left (per-minute counts must not roll over mid-test). */
export async function awayFromMinuteEnd(ms = 15_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < ms) await new Promise((r) => setTimeout(r, left + 50));
}
