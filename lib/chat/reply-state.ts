/**
 * A reply as a sequence of events, and the state those events build: the text so far, the queries with
 * their results, and the last sequence number. The live stream applies each event it sends; checkpoints
 * store the state; a resumed stream turns a stored state back into the events a client has not seen yet,
 * with the same names, shapes and ids as live. Pure.
 */
import type { QueryRecord, RowsResult } from '../types.js';
import { formatEventId, type Position } from './event-id.js';

export interface ReplyState {
  content: string;
  queries: QueryRecord[];
  /** Sequence number of the last event applied (the `chat` event is 0). */
  lastSeq: number;
}

export interface ReplyEvent {
  event: string;
  data: unknown;
  id: string;
}

export const newReplyState = (): ReplyState => ({ content: '', queries: [], lastSeq: 0 });

/** Applies one live event (numbered `seq`) to the state. Events that carry no reply content only count. */
export function applyEvent(state: ReplyState, seq: number, event: string, data: unknown): void {
  const d = data as Record<string, unknown>;
  if (event === 'token') state.content += String(d.text ?? '');
  else if (event === 'query') state.queries.push({ sql: String(d.sql ?? ''), seq, at: state.content.length });
  else if (event === 'rows' || event === 'query_error') {
    const open = [...state.queries].reverse().find((q) => !q.result && !q.error);
    if (open && event === 'rows') open.result = { ...(data as RowsResult), seq };
    if (open && event === 'query_error') {
      open.error = { code: String(d.code ?? 'Internal'), message: String(d.message ?? ''), seq };
    }
  }
  state.lastSeq = seq;
}

interface Marker {
  seq: number;
  at: number;
  event: string;
  data: unknown;
}

function markers(queries: QueryRecord[]): Marker[] {
  const out: Marker[] = [];
  for (const q of queries) {
    out.push({ seq: q.seq, at: q.at, event: 'query', data: { sql: q.sql } });
    if (q.result) {
      const { seq, ...rows } = q.result;
      out.push({ seq, at: q.at, event: 'rows', data: rows });
    }
    if (q.error) {
      const { seq, ...error } = q.error;
      out.push({ seq, at: q.at, event: 'query_error', data: { sql: q.sql, ...error } });
    }
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/**
 * The events a client at `from` is missing from `state`, in live order. Text comes as `token` events
 * carrying everything written since the client's position, so the text of every token the client
 * received, live then resumed, concatenates to the stored content exactly. Ids never go backwards.
 */
export function eventsAfter(messageId: string, state: ReplyState, from: Position): ReplyEvent[] {
  const out: ReplyEvent[] = [];
  let cursor = Math.min(Math.max(0, from.chars), state.content.length);
  let seq = from.seq;
  const push = (event: string, data: unknown, at: Position) => {
    seq = Math.max(seq, at.seq);
    out.push({ event, data, id: formatEventId(messageId, { seq, chars: at.chars }) });
  };
  const text = (upTo: number, lastSeq: number) => {
    if (upTo <= cursor) return;
    push('token', { text: state.content.slice(cursor, upTo) }, { seq: lastSeq, chars: upTo });
    cursor = upTo;
  };
  for (const m of markers(state.queries)) {
    if (m.seq <= from.seq) continue;
    text(Math.min(m.at, state.content.length), m.seq - 1);
    push(m.event, m.data, { seq: m.seq, chars: cursor });
  }
  text(state.content.length, state.lastSeq);
  return out;
}

/** The position after the whole state: where the terminal events (`stored`, `done`/`error`) follow. */
export const endOf = (state: ReplyState): Position => ({ seq: state.lastSeq, chars: state.content.length });
