/**
 * Sends a reply's events and keeps its stored copy up to date while it streams. Every event gets the next
 * sequence number and an id naming its position (event-id.ts), is applied to the reply's state and written
 * to the client (dropped quietly once the client is gone). Checkpoints are written in the background, one
 * at a time and never on the path of a token: at most every `intervalMs` or `bytes` of new text, at once
 * for query events, and as a lease renewal when nothing else was written for `renewMs`. The lease is short
 * and renewed, so a writer that dies is noticed within `leaseMs`, and never outlives the invocation.
 */
import { config } from '../config.js';
import type { SseStream } from '../http/sse-stream.js';
import type { Logger } from '../log.js';
import type { Checkpoint } from '../store/messages.js';
import { formatEventId } from './event-id.js';
import { applyEvent, endOf, type ReplyState } from './reply-state.js';

export interface CheckpointPolicy {
  intervalMs: number;
  bytes: number;
  leaseMs: number;
  renewMs: number;
}

/** Checkpoints at most every second or 4 KB of text; the lease (REPLY_LEASE_MS) renewed every third of it. */
export function checkpointPolicy(leaseMs = config.replyLeaseMs): CheckpointPolicy {
  return { intervalMs: 1_000, bytes: 4_096, leaseMs, renewMs: Math.floor(leaseMs / 3) };
}

/** The lease a write sets: short and renewed, never past the invocation's end. */
export const leaseUntil = (hardLeaseUntil: number, leaseMs: number, now = Date.now()): number =>
  Math.min(hardLeaseUntil, now + leaseMs);

export interface RecorderOptions {
  stream: SseStream;
  messageId: string;
  state: ReplyState;
  /** Writes a checkpoint; false when a newer state exists or the reply was declared interrupted. */
  write: (cp: Checkpoint) => Promise<boolean>;
  /** Absolute time the lease can never pass (the invocation's deadline plus a margin). */
  hardLeaseUntil: number;
  policy?: CheckpointPolicy;
  log: Logger;
}

const QUERY_EVENTS = new Set(['query', 'rows', 'query_error']);

export class ReplyRecorder {
  private readonly policy: CheckpointPolicy;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private urgent = false;
  private lost = false;
  private writtenChars = 0;
  private writtenAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  /** DynamoDB writes made for this reply (checkpoints, renewals and the final write). */
  writes = 0;

  constructor(private readonly o: RecorderOptions) {
    this.policy = o.policy ?? checkpointPolicy();
    this.schedule();
  }

  get state(): ReplyState {
    return this.o.state;
  }

  /** Sends one event of the reply (numbered, applied to the state, checkpointed as the policy says). */
  async emit(event: string, data: unknown): Promise<void> {
    const seq = this.o.state.lastSeq + 1;
    applyEvent(this.o.state, seq, event, data);
    const id = formatEventId(this.o.messageId, endOf(this.o.state));
    this.dirty = true;
    if (QUERY_EVENTS.has(event) || this.o.state.content.length - this.writtenChars >= this.policy.bytes) {
      this.urgent = true;
    }
    this.schedule();
    await this.o.stream.send(event, data, id);
  }

  /** An event after the reply's content (stored, done, error): numbered after it, not checkpointed. */
  sendTrailer(event: string, data: unknown, offset: number): Promise<void> {
    const end = endOf(this.o.state);
    const id = formatEventId(this.o.messageId, { seq: end.seq + offset, chars: end.chars });
    return this.o.stream.send(event, data, id);
  }

  /**
   * Writes now when due (a query event or 4 KB of text: at once; other text: a second after the last write;
   * nothing new: a lease renewal), or arms a timer for when it will be. One write at a time: the running
   * write reschedules when it ends.
   */
  private schedule(): void {
    if (this.writing || this.lost) return;
    const since = Date.now() - this.writtenAt;
    const wait = this.urgent ? 0 : (this.dirty ? this.policy.intervalMs : this.policy.renewMs) - since;
    if (wait <= 0) this.start();
    else this.arm(wait);
  }

  private start(): void {
    this.disarm();
    this.urgent = false;
    this.writing = this.writeNow()
      .then(() => undefined)
      .catch((err: unknown) => this.o.log.error('checkpoint failed', err))
      .finally(() => {
        this.writing = undefined;
        this.schedule();
      });
  }

  private async writeNow(final?: Checkpoint['final']): Promise<boolean> {
    const s = this.o.state;
    const now = Date.now();
    const cp: Checkpoint = {
      content: s.content,
      queries: structuredClone(s.queries),
      lastSeq: s.lastSeq,
      leaseUntil: leaseUntil(this.o.hardLeaseUntil, this.policy.leaseMs, now),
      ...(final ? { final } : {}),
    };
    this.dirty = false;
    this.writes++;
    let ok: boolean;
    try {
      ok = await this.o.write(cp);
    } catch (err) {
      this.dirty = true; // retried with the next checkpoint
      throw err;
    }
    this.writtenChars = cp.content.length;
    this.writtenAt = now;
    if (!ok) {
      this.lost = true;
      this.o.log.warn(
        'reply checkpoint refused: a newer state exists or the reply was declared interrupted',
        {
          lastSeq: cp.lastSeq,
        },
      );
    }
    return ok;
  }

  /** Waits for the running checkpoint, then writes the final state. True when it was stored. */
  async finish(final: NonNullable<Checkpoint['final']>): Promise<boolean> {
    this.disarm();
    while (this.writing) await this.writing;
    this.disarm();
    if (this.lost) return false;
    this.lost = true; // no checkpoint may follow the final write
    return this.writeNow(final);
  }

  /** Schedules a checkpoint in `ms`, unless one is already due sooner. */
  private arm(ms: number): void {
    const at = Date.now() + Math.max(0, ms);
    if (this.lost || this.timerAt <= at) return;
    this.disarm();
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      if (!this.writing && !this.lost) this.start();
    }, at - Date.now());
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}
