/**
 * Relations ranked for one user message: BM25 over the index's weighted words (the message, then the recent
 * history at lower weight, synonyms below the words themselves), relations named in recent SQL kept in view,
 * the priors of priors.ts, then expansion along foreign keys so the join path between the matched relations
 * (link tables included) comes along. Without a question the priors alone decide.
 */
import { foreignKeyGraph, relationPriors, type Graph } from './priors.js';
import type { SchemaIndex } from './relations.js';
import { buildSearchIndex, type SearchIndex } from './terms.js';
import { SYNONYMS } from './vocabulary.js';
import { questionStems, stem } from './words.js';

const K1 = 1.2;
const B = 0.5;
const HISTORY_WEIGHTS = [0.5, 0.3, 0.2];
const SQL_WEIGHTS = [0.6, 0.4, 0.25];
const SYNONYM_WEIGHT = 0.6;
const SUBSTRING_WEIGHT = 0.5;
const MAX_SEEDS = 8;
const PATH_DEPTH = 3;
const LOOKUP_SEEDS = 5;
const LOOKUP_SHARE = 0.4;

export interface RankQuery {
  question?: string;
  /** Earlier user messages, newest first. */
  earlier?: string[];
  /** SQL run in recent replies, newest first. */
  sql?: string[];
}

export interface Ranked {
  search: SearchIndex;
  graph: Graph;
  prior: Float64Array;
}

export interface Ranking {
  /** Relation positions, most relevant first; every relation appears once. */
  order: number[];
  scores: Float64Array;
  /** Weighted query terms (stems). */
  terms: Map<string, number>;
  /** How many relations matched the question itself (score > 0 before the priors). */
  matched: number;
}

let synonymMap: Map<string, string[]> | undefined;
function synonymsOf(term: string): string[] {
  if (!synonymMap) {
    synonymMap = new Map();
    for (const group of SYNONYMS) {
      const stems = [...new Set(group.map(stem))];
      for (const s of stems)
        synonymMap.set(s, [...(synonymMap.get(s) ?? []), ...stems.filter((o) => o !== s)]);
    }
  }
  return synonymMap.get(term) ?? [];
}

export function prepareRanking(index: SchemaIndex, searchPath: string[] = []): Ranked {
  const search = buildSearchIndex(index);
  const graph = foreignKeyGraph(search.relations);
  return { search, graph, prior: relationPriors(search.relations, graph, searchPath) };
}

function queryTerms(search: SearchIndex, q: RankQuery): Map<string, number> {
  const terms = new Map<string, number>();
  const put = (t: string, w: number) => {
    if (w > (terms.get(t) ?? 0)) terms.set(t, w);
  };
  const addText = (text: string, w: number) => {
    for (const t of questionStems(text)) {
      put(t, w); // kept even when unknown: its synonyms may be known
      if (!search.postings.has(t)) addUnknown(t, w);
    }
  };
  const addUnknown = (t: string, w: number) => {
    // A run-together word in the question (`salesorder`), else index words containing it (`hire` → `hiredat`).
    const pieces = /^[a-z]+$/.test(t) ? search.splitter.split(t) : undefined;
    if (pieces) for (const p of pieces) put(stem(p), w);
    if (t.length < 4) return;
    let found = 0;
    for (const term of search.terms) {
      if (term.length > t.length && term.includes(t)) {
        put(term, w * SUBSTRING_WEIGHT);
        if (++found >= 12) break;
      }
    }
  };
  if (q.question) addText(q.question, 1);
  (q.earlier ?? []).slice(0, HISTORY_WEIGHTS.length).forEach((m, k) => addText(m, HISTORY_WEIGHTS[k]!));
  for (const [t, w] of [...terms]) for (const s of synonymsOf(t)) put(s, w * SYNONYM_WEIGHT);
  return terms;
}

function bm25(search: SearchIndex, terms: Map<string, number>): Float64Array {
  const n = search.relations.length;
  const scores = new Float64Array(n);
  for (const [term, weight] of terms) {
    const p = search.postings.get(term);
    if (!p) continue;
    const idf = Math.log(1 + (n - p.rels.length + 0.5) / (p.rels.length + 0.5));
    for (let k = 0; k < p.rels.length; k++) {
      const rel = p.rels[k]!;
      const tf = p.tfs[k]!;
      const norm = tf + K1 * (1 - B + (B * search.docLength[rel]!) / search.avgLength);
      scores[rel] = scores[rel]! + weight * idf * ((tf * (K1 + 1)) / norm);
    }
  }
  return scores;
}

/** Relations named in SQL text (`schema.table`, `"Table"`, `table`). */
export function relationsInSql(search: SearchIndex, sql: string): number[] {
  const found = new Set<number>();
  const ident = String.raw`(?:"((?:[^"]|"")+)"|([A-Za-z_][\w$]*))`;
  for (const m of sql.matchAll(new RegExp(`(?:${ident}\\s*\\.\\s*)?${ident}`, 'g'))) {
    const schema = m[1]?.replace(/""/g, '"') ?? m[2]?.toLowerCase();
    const name = m[3]?.replace(/""/g, '"') ?? m[4]!.toLowerCase();
    const candidates = search.byName.get(name.toLowerCase()) ?? [];
    const exact = candidates.filter((i) => search.relations[i]!.name === name);
    const pool = exact.length ? exact : candidates;
    const inSchema = schema ? pool.filter((i) => search.relations[i]!.schema === schema) : [];
    for (const i of inSchema.length ? inSchema : pool) found.add(i);
  }
  return [...found];
}

/** Undirected BFS from `from`, frontier explored best-scored first, so ties pick the most relevant path. */
function pathsFrom(r: Ranked, from: number, scores: Float64Array): Map<number, number> {
  const parent = new Map<number, number>([[from, -1]]);
  let frontier = [from];
  for (let depth = 0; depth < PATH_DEPTH && frontier.length; depth++) {
    const next: number[] = [];
    for (const node of frontier) {
      for (const nb of [...r.graph.out[node]!, ...r.graph.in[node]!]) {
        if (parent.has(nb)) continue;
        parent.set(nb, node);
        next.push(nb);
      }
    }
    frontier = next.sort((a, b) => scores[b]! - scores[a]!);
  }
  return parent;
}

function expandJoinPaths(r: Ranked, scores: Float64Array): void {
  const seeds = topBy(scores, MAX_SEEDS).filter((i, _, all) => scores[i]! >= 0.2 * scores[all[0]!]!);
  const base = Float64Array.from(scores);
  for (let a = 0; a < seeds.length; a++) {
    const parent = pathsFrom(r, seeds[a]!, base);
    for (let b = a + 1; b < seeds.length; b++) {
      if (!parent.has(seeds[b]!)) continue;
      const value = 0.8 * Math.min(base[seeds[a]!]!, base[seeds[b]!]!);
      for (let node = parent.get(seeds[b]!)!; node !== seeds[a]! && node >= 0; node = parent.get(node)!) {
        if (scores[node]! < value) scores[node] = value;
      }
    }
  }
}

/** Lookup tables the best matches reference (a product's subcategory, an address's province). */
function expandLookups(r: Ranked, scores: Float64Array): void {
  const base = Float64Array.from(scores);
  for (const seed of topBy(base, LOOKUP_SEEDS)) {
    for (const target of r.graph.out[seed]!) {
      const value = LOOKUP_SHARE * base[seed]!;
      if (scores[target]! < value) scores[target] = value;
    }
  }
}

function topBy(scores: Float64Array, k: number): number[] {
  const idx: number[] = [];
  scores.forEach((s, i) => {
    if (s > 0) idx.push(i);
  });
  return idx.sort((a, b) => scores[b]! - scores[a]!).slice(0, k);
}

export function rankRelations(r: Ranked, q: RankQuery): Ranking {
  const terms = queryTerms(r.search, q);
  const scores = bm25(r.search, terms);
  let matched = 0;
  let max = 0;
  for (const s of scores) {
    if (s > 0) matched++;
    if (s > max) max = s;
  }
  (q.sql ?? []).slice(0, SQL_WEIGHTS.length).forEach((sql, k) => {
    for (const i of relationsInSql(r.search, sql)) scores[i] = scores[i]! + SQL_WEIGHTS[k]! * (max || 1);
  });
  for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! * r.prior[i]!;
  expandJoinPaths(r, scores);
  expandLookups(r, scores);
  const order = Array.from(scores.keys()).sort(
    (a, b) => scores[b]! - scores[a]! || r.prior[b]! - r.prior[a]! || a - b,
  );
  return { order, scores, terms, matched };
}

/** Columns of a relation that a ranking's terms touch (kept first when a wide table's line must be cut). */
export function matchedColumns(r: Ranked, rel: number, terms: Map<string, number>): Set<string> {
  const out = new Set<string>();
  const columns = r.search.relations[rel]!.columns;
  r.search.columnStems[rel]!.forEach((stems, i) => {
    if (stems.some((s) => terms.has(s))) out.add(columns[i]!.name);
  });
  return out;
}
