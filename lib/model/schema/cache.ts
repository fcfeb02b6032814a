/**
 * Where a connector's schema index comes from, cheapest first:
 *   1. this process's memory (while the index was verified less than RECHECK_MS ago);
 *   2. DynamoDB (lib/store/schema-index.ts), for a cold container: no catalog read while it is fresh;
 *   3. the catalog: a fingerprint query (catalog unchanged → the cached index is verified again, stamped in
 *      both places) or, when the fingerprint differs or nothing is cached, a full inspection and a rebuild.
 * An index belongs to one user, one connector and the connector's version (its updatedAt): editing the
 * connector builds a new one. Concurrent requests for the same index share one load.
 */
import type { SchemaInfo } from '../../postgres/inspect.js';
import type { CatalogFingerprint } from '../../postgres/fingerprint.js';
import type { StoredSchemaIndex } from '../../store/schema-index.js';
import type { ConnectionConfig } from '../../types.js';
import { prepareRanking, type Ranked } from './rank.js';
import { buildSchemaIndex, INDEX_FORMAT, type SchemaIndex } from './relations.js';

/** How long an index is trusted before the catalog's fingerprint is checked again. */
export const RECHECK_MS = 60_000;
/**
 * What one process holds: a 5,000-relation index takes about 12 MB of heap once prepared, so the bound is on
 * relations (the most recently used index is always kept, whatever its size).
 */
const MAX_ENTRIES = 50;
const MAX_RELATIONS_HELD = 20_000;

export interface SchemaRef {
  uid: string;
  connectorId: string;
  /** The connector's updatedAt. */
  version: string;
}

/** The catalog side (a test may count or replace it). */
export interface CatalogSource {
  fingerprint(conn: ConnectionConfig, signal?: AbortSignal): Promise<CatalogFingerprint>;
  inspect(conn: ConnectionConfig, signal?: AbortSignal): Promise<SchemaInfo>;
}

export interface IndexStore {
  load(ref: SchemaRef): Promise<StoredSchemaIndex<SchemaIndex> | undefined>;
  save(ref: SchemaRef, stored: StoredSchemaIndex<SchemaIndex>): Promise<unknown>;
  touch(ref: SchemaRef, fingerprint: string, verifiedAt: number): Promise<void>;
}

/** What went wrong on the way, reported but never fatal while an index can still be had. */
export type CacheWarning = (message: string, err: unknown) => void;

export interface LoadedIndex {
  ranked: Ranked;
  /** Where this request's index came from. */
  source: 'memory' | 'store' | 'catalog';
}

interface Entry {
  version: string;
  fingerprint: string;
  searchPath: string[];
  verifiedAt: number;
  index: SchemaIndex;
  ranked: Ranked;
}

export class SchemaIndexCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<LoadedIndex>>();

  constructor(
    private readonly deps: {
      catalog: CatalogSource;
      store?: IndexStore;
      now?: () => number;
      warn?: CacheWarning;
      /** Relations held in memory across indexes (tests lower it). */
      maxRelations?: number;
    },
  ) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  get(ref: SchemaRef, conn: ConnectionConfig, signal?: AbortSignal): Promise<LoadedIndex> {
    const key = `${ref.uid}\u0000${ref.connectorId}\u0000${ref.version}`;
    const entry = this.entries.get(key);
    if (entry && this.now() - entry.verifiedAt < RECHECK_MS) {
      this.entries.delete(key); // most recently used last
      this.entries.set(key, entry);
      return Promise.resolve({ ranked: entry.ranked, source: 'memory' });
    }
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(ref, conn, entry, signal).then(({ entry: loaded, source }) => {
        this.entries.delete(key);
        this.entries.set(key, loaded);
        this.evict();
        return { ranked: loaded.ranked, source };
      });
      const settle = () => this.loading.delete(key);
      pending.then(settle, settle);
      this.loading.set(key, pending);
    }
    return pending;
  }

  /** Least recently used first, down to the bounds; the newest entry stays. */
  private evict(): void {
    const limit = this.deps.maxRelations ?? MAX_RELATIONS_HELD;
    let held = 0;
    for (const e of this.entries.values()) held += e.index.relations.length;
    for (const [key, e] of this.entries) {
      if (this.entries.size <= 1 || (this.entries.size <= MAX_ENTRIES && held <= limit)) break;
      this.entries.delete(key);
      held -= e.index.relations.length;
    }
  }

  /** Forgets what this process holds (DynamoDB keeps its copy). */
  clear(): void {
    this.entries.clear();
  }

  private warn(message: string, err: unknown): void {
    this.deps.warn?.(message, err);
  }

  private async load(
    ref: SchemaRef,
    conn: ConnectionConfig,
    held: Entry | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ entry: Entry; source: LoadedIndex['source'] }> {
    let entry = held;
    let source: LoadedIndex['source'] = 'memory';
    if (!entry && this.deps.store) {
      const stored = await this.deps.store.load(ref).catch((err: unknown) => {
        this.warn('could not read the cached schema index', err);
        return undefined;
      });
      if (stored && stored.version === ref.version && stored.format === INDEX_FORMAT) {
        entry = {
          ...stored,
          index: stored.document,
          ranked: prepareRanking(stored.document, stored.searchPath),
        };
        source = 'store';
      }
    }
    if (entry && this.now() - entry.verifiedAt < RECHECK_MS) return { entry, source };

    const current = await this.deps.catalog.fingerprint(conn, signal);
    if (entry && entry.fingerprint === current.fingerprint) {
      const verifiedAt = this.now();
      await this.deps.store
        ?.touch(ref, current.fingerprint, verifiedAt)
        .catch((err: unknown) => this.warn('could not stamp the cached schema index', err));
      return { entry: { ...entry, verifiedAt }, source };
    }

    const info = await this.deps.catalog.inspect(conn, signal);
    const index = buildSchemaIndex(info, new Date(this.now()));
    const built: Entry = {
      version: ref.version,
      fingerprint: current.fingerprint,
      searchPath: current.searchPath,
      verifiedAt: this.now(),
      index,
      ranked: prepareRanking(index, current.searchPath),
    };
    await this.deps.store
      ?.save(ref, {
        version: built.version,
        format: INDEX_FORMAT,
        fingerprint: built.fingerprint,
        searchPath: built.searchPath,
        verifiedAt: built.verifiedAt,
        document: index,
      })
      .catch((err: unknown) => this.warn('could not store the schema index', err));
    return { entry: built, source: 'catalog' };
  }
}
