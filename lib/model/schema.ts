/**
 * The schema as the model sees it, chosen per user message: a connector's schema index (lib/model/schema/:
 * relations.ts what is stored, terms.ts the words, priors.ts and rank.ts the ranking, lines.ts and summary.ts
 * the text, lookup.ts the tools, cache.ts where an index comes from) turned into
 *   - `summary`: the relations most relevant to the message and its recent history, within a budget;
 *   - `describe` and `search`: the describe_table and search_schema tools.
 * The index is built once per connector version and cached in-process and in DynamoDB (cache.ts).
 */
import { log } from '../log.js';
import { readCatalogFingerprint } from '../postgres/fingerprint.js';
import { inspectSchema, MAX_RELATIONS_LIMIT } from '../postgres/inspect.js';
import { loadSchemaIndex, saveSchemaIndex, touchSchemaIndex } from '../store/schema-index.js';
import type { ConnectionConfig, Message } from '../types.js';
import { SchemaIndexCache, type LoadedIndex, type SchemaRef } from './schema/cache.js';
import { describeRelation, searchSchema, type SearchArgs } from './schema/lookup.js';
import { rankRelations, type Ranked, type RankQuery } from './schema/rank.js';
import { buildSummary, SCHEMA_SUMMARY_BUDGET } from './schema/summary.js';

export { SCHEMA_SUMMARY_BUDGET } from './schema/summary.js';
export type { SchemaRef } from './schema/cache.js';
export type { SearchArgs } from './schema/lookup.js';

/** Relations read when building an index (inspect's own default is lower: it serves a page of the UI). */
const INDEX_MAX_RELATIONS = MAX_RELATIONS_LIMIT;
/** Characters of one describe_table or search_schema answer when the caller gives no bound. */
const TOOL_RESULT_BUDGET = 12_000;
/** Earlier messages whose words and SQL steer the ranking. */
const HISTORY_MESSAGES = 6;

export interface SchemaContext {
  /** The schema text for the system instruction: ranked for the message when one was given. */
  summary: string;
  /** describe_table: `{table}`, or `{error, candidates?}` when the name is unknown or ambiguous. */
  describe(schema: string | undefined, table: string, budget?: number): Record<string, unknown>;
  /** search_schema. */
  search(args: SearchArgs, budget?: number): Record<string, unknown>;
  relationCount: number;
  /** Where the index came from for this request (memory, DynamoDB or the catalog). */
  source: LoadedIndex['source'];
}

export interface SchemaContextOptions {
  /** The user message the context is for. */
  question?: string;
  /** The chat so far, oldest first (the new message excluded): recent words and SQL count too. */
  history?: Message[];
  signal?: AbortSignal;
  budget?: number;
}

/** Earlier user messages and recent SQL, newest first. */
export function historyQuery(history: Message[] = []): Pick<RankQuery, 'earlier' | 'sql'> {
  const recent = history.slice(-HISTORY_MESSAGES).reverse();
  return {
    earlier: recent.filter((m) => m.role === 'user').map((m) => m.content),
    sql: recent.flatMap((m) => (m.queries ?? []).map((q) => q.sql).reverse()),
  };
}

export function schemaContextFrom(
  ranked: Ranked,
  opts: Omit<SchemaContextOptions, 'signal'> = {},
  source: LoadedIndex['source'] = 'memory',
): SchemaContext {
  const ranking = rankRelations(ranked, {
    ...(opts.question !== undefined ? { question: opts.question } : {}),
    ...historyQuery(opts.history),
  });
  return {
    summary: buildSummary(ranked, ranking, opts.budget ?? SCHEMA_SUMMARY_BUDGET).text,
    describe: (schema, table, budget = TOOL_RESULT_BUDGET) => describeRelation(ranked, schema, table, budget),
    search: (args, budget = TOOL_RESULT_BUDGET) => searchSchema(ranked, args, budget),
    relationCount: ranked.search.relations.length,
    source,
  };
}

let cache: SchemaIndexCache | undefined;

function defaultCache(): SchemaIndexCache {
  cache ??= new SchemaIndexCache({
    catalog: {
      fingerprint: (conn, signal) => readCatalogFingerprint(conn, { signal }),
      inspect: (conn, signal) => inspectSchema(conn, { signal, maxRelations: INDEX_MAX_RELATIONS }),
    },
    store: {
      load: (ref) => loadSchemaIndex(ref.uid, ref.connectorId),
      save: (ref, stored) => saveSchemaIndex(ref.uid, ref.connectorId, stored),
      touch: (ref, fingerprint, at) => touchSchemaIndex(ref.uid, ref.connectorId, fingerprint, at),
    },
    warn: (message, err) => log.error(message, err),
  });
  return cache;
}

/** The schema context of a connector for one message (the index is loaded as cache.ts describes). */
export async function getSchemaContext(
  ref: SchemaRef,
  conn: ConnectionConfig,
  opts: SchemaContextOptions = {},
): Promise<SchemaContext> {
  const { ranked, source } = await defaultCache().get(ref, conn, opts.signal);
  return schemaContextFrom(ranked, opts, source);
}

/** Tests: forget every index this process holds (as a new container would; DynamoDB keeps its copies). */
export function clearSchemaCache(): void {
  cache?.clear();
}
