/**
 * Query results written to a response as they are read: the JSON reply of POST /query, and the CSV and NDJSON
 * exports. Output is gathered into chunks of at most about CHUNK_BYTES (and sent whenever the writer would
 * wait for rows); each chunk waits for the response to take it (backpressure), so memory holds a chunk and a
 * batch of rows, whatever the result's size.
 * Nothing is written before the first rows are in (RowSource.take), so an error in planning or in the first
 * rows can still be answered with its status.
 */
import { AppError } from '../errors.js';
import { takeWithin, type RowSource, type TruncatedReason } from './query.js';
import { csvRecord, valueJson } from './value-text.js';

const CHUNK_BYTES = 64 * 1024;

export interface ChunkSink {
  write(chunk: string): Promise<void>;
}

export type ExportFormat = 'csv' | 'ndjson';

export interface WrittenResult {
  rowCount: number;
  truncated: boolean;
  truncatedReason?: TruncatedReason;
  durationMs: number;
}

/** Gathers small pieces into chunks of about CHUNK_BYTES. */
class ChunkedWriter {
  private pending = '';
  constructor(private readonly sink: ChunkSink) {}

  async add(text: string): Promise<void> {
    this.pending += text;
    if (this.pending.length >= CHUNK_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending === '') return;
    const chunk = this.pending;
    this.pending = '';
    await this.sink.write(chunk);
  }
}

/**
 * Before waiting for more rows, what is gathered goes out: a slow query still shows its first rows. Not before
 * the first rows: until they are in, an error can still be the response's status.
 */
function flushingBeforeTake(source: RowSource, out: ChunkedWriter): RowSource {
  let first = true;
  return {
    columns: source.columns,
    started: source.started,
    get cutByRowCap() {
      return source.cutByRowCap;
    },
    take: async () => {
      if (!first) await out.flush();
      first = false;
      return source.take();
    },
  };
}

/** `{"columns":[…],"rows":[…],"rowCount":…,"truncated":…,"truncatedReason"?:…,"durationMs":…}` */
export async function writeJsonResult(
  source: RowSource,
  sink: ChunkSink,
  bounds: { limit: number; maxBytes: number },
): Promise<WrittenResult> {
  const out = new ChunkedWriter(sink);
  await out.add(`{"columns":${JSON.stringify(source.columns)},"rows":[`);
  let separator = '';
  const outcome = await takeWithin(flushingBeforeTake(source, out), bounds, async (_row, json) => {
    await out.add(separator + json);
    separator = ',';
  });
  const summary: WrittenResult = { ...outcome, durationMs: Math.round(performance.now() - source.started) };
  await out.add(`],${JSON.stringify(summary).slice(1)}`);
  await out.flush();
  return summary;
}

/**
 * CSV (header row, RFC 4180 records) or NDJSON (`{"columns"}` line, one array per row, a summary line) of
 * at most `maxRows` rows; the source must offer one more so a cut is known. A CSV cut by the cap fails (the
 * caller cuts the response): a CSV file has no place to say it is incomplete.
 */
export async function writeExport(
  source: RowSource,
  sink: ChunkSink,
  format: ExportFormat,
  maxRows: number,
): Promise<WrittenResult> {
  const out = new ChunkedWriter(sink);
  const line =
    format === 'csv' ? csvRecord : (row: Parameters<typeof valueJson>[0][]) => `${valueJson(row, true)}\n`;
  let rowCount = 0;
  let truncated = false;
  const rowsOf = flushingBeforeTake(source, out);
  let rows = await rowsOf.take(); // the header waits for the first rows: an error before them is a status
  await out.add(
    format === 'csv'
      ? csvRecord(source.columns.map((c) => c.name))
      : `${JSON.stringify({ columns: source.columns })}\n`,
  );
  while (rows.length > 0) {
    for (const row of rows) {
      if (rowCount === maxRows) {
        truncated = true;
        break;
      }
      await out.add(line(row));
      rowCount++;
    }
    if (truncated) break;
    rows = await rowsOf.take();
  }
  if (source.cutByRowCap) {
    throw new AppError('SqlError', 'The export stopped at a row larger than the limit for one row', {
      rowCount,
    });
  }
  const durationMs = Math.round(performance.now() - source.started);
  if (format === 'csv' && truncated) {
    await out.flush();
    throw new AppError('SqlError', `The export has more than ${maxRows} rows (CSV_MAX_ROWS)`, { rowCount });
  }
  if (format === 'ndjson') {
    await out.add(
      `${JSON.stringify({ rowCount, truncated, ...(truncated ? { truncatedReason: 'rows' } : {}) })}\n`,
    );
  }
  await out.flush();
  return { rowCount, truncated, ...(truncated ? { truncatedReason: 'rows' as const } : {}), durationMs };
}
