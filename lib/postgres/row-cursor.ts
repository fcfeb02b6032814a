/**
 * A server-side cursor (an extended-protocol portal) whose rows reach the reader one batch of messages at a
 * time, with backpressure down to the socket: rows are converted as they arrive and queued; when the queue
 * holds more than QUEUE_HIGH_BYTES the socket is paused, so the server waits (TCP flow control) instead of our
 * memory filling. pg-cursor would instead hold every row of a batch until the batch ends.
 *
 * Rows are asked for in batches (Execute with a row count, then Flush), sized from the rows seen so far so a
 * batch is about BATCH_TARGET_BYTES; the caller says how many rows it wants at most, and no batch goes past it.
 */
import type pg from 'pg';
import type { Value } from './values.js';

const QUEUE_HIGH_BYTES = 1024 * 1024;
const BATCH_TARGET_BYTES = 1024 * 1024;
const FIRST_BATCH_ROWS = 100;
const MAX_BATCH_ROWS = 10_000;

interface Stream {
  pause(): void;
  resume(): void;
}

interface Connection {
  stream: Stream;
  parse(msg: { text: string }): void;
  bind(msg: { portal: string; values: never[] }): void;
  execute(msg: { portal: string; rows: number }): void;
  close(msg: { type: 'P'; name: string }): void;
  flush(): void;
  sync(): void;
}

type Convert = (fields: (string | null)[]) => Value[];

let portals = 0;

export class RowCursor {
  private connection: Connection | undefined;
  private readonly portal = `semaia_${++portals}`;
  private queue: Value[][] = [];
  private queuedBytes = 0;
  private paused = false;
  /** Rows asked for so far, rows received so far, and their message bytes (for batch sizing). */
  private asked = 0;
  private received = 0;
  private receivedBytes = 0;
  /** 'batch' while an Execute is answering; 'suspended' when it is done and more rows exist. */
  private state: 'opening' | 'batch' | 'suspended' | 'complete' | 'closing' | 'closed' = 'opening';
  private error: unknown;
  private wake: (() => void) | undefined;
  private discard = false;
  private handedOut = false;

  constructor(
    private readonly text: string,
    private readonly convert: Convert,
    /** The most rows the reader will want. */
    private readonly maxRows: number,
  ) {}

  // ---- the pg Submittable side (called by the client with the server's messages)

  submit(connection: Connection): void {
    this.connection = connection;
    connection.parse({ text: this.text });
    connection.bind({ portal: this.portal, values: [] });
    this.executeBatch();
  }

  handleDataRow(msg: { length: number; fields: (string | null)[] }): void {
    this.received++;
    this.receivedBytes += msg.length;
    if (this.discard) return;
    this.queue.push(this.convert(msg.fields));
    this.queuedBytes += msg.length;
    if (this.queuedBytes > QUEUE_HIGH_BYTES && !this.paused) {
      this.paused = true;
      this.connection?.stream.pause();
    }
    this.notify();
  }

  handlePortalSuspended(): void {
    this.state = 'suspended';
    this.notify();
  }

  handleCommandComplete(): void {
    this.state = 'complete';
    this.closePortal();
  }

  handleEmptyQuery(): void {
    this.state = 'complete';
    this.connection?.sync();
  }

  handleRowDescription(): void {}

  handleReadyForQuery(): void {
    this.state = 'closed';
    this.notify();
  }

  handleError(err: unknown): void {
    // A server error skips everything up to the next Sync; send it so the session can roll back.
    if ((err as { severity?: string }).severity && this.state !== 'closing') this.connection?.sync();
    this.error ??= err;
    this.state = 'closed';
    this.resume();
    this.notify();
  }

  // ---- the reader's side

  /**
   * The rows queued so far (waiting for at least one), or [] when the result is exhausted. The first call
   * waits for the first batch to end (or to fill the queue), so an error in the first rows — a failed cast,
   * a division by zero, a row over the cap — comes before any row does and can still be the request's status.
   * Later errors come after the rows that preceded them.
   */
  async take(): Promise<Value[][]> {
    for (;;) {
      const first = !this.handedOut;
      if (this.error !== undefined && (first || this.queue.length === 0)) throw this.error;
      if (this.queue.length > 0 && (!first || this.state !== 'batch' || this.paused)) {
        const rows = this.queue;
        this.queue = [];
        this.queuedBytes = 0;
        this.handedOut = true;
        this.resume();
        return rows;
      }
      if (this.state === 'complete' || this.state === 'closed' || this.state === 'closing') return [];
      if (this.state === 'suspended') {
        if (this.asked >= this.maxRows) return [];
        this.executeBatch();
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Ends the portal: rows still on their way are read and dropped, then Close + Sync. */
  async close(): Promise<void> {
    this.discard = true;
    this.queue = [];
    this.resume();
    while (this.state !== 'closed') {
      if (this.state === 'suspended') this.closePortal();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (this.error !== undefined) throw this.error;
  }

  private executeBatch(): void {
    const average = this.received > 0 ? this.receivedBytes / this.received : 0;
    const sized = average > 0 ? Math.floor(BATCH_TARGET_BYTES / average) : FIRST_BATCH_ROWS;
    const rows = Math.max(1, Math.min(sized, MAX_BATCH_ROWS, this.maxRows - this.asked));
    this.asked += rows;
    this.state = 'batch';
    this.connection!.execute({ portal: this.portal, rows });
    this.connection!.flush();
  }

  private closePortal(): void {
    this.state = 'closing';
    this.connection!.close({ type: 'P', name: this.portal });
    this.connection!.sync();
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.connection?.stream.resume();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

export function openRowCursor(client: pg.Client, cursor: RowCursor): void {
  client.query(cursor as unknown as pg.Submittable);
}
