/**
 * The in-memory half of the schema index, derived from the stored relations when a container first needs
 * them: the words of every relation (its name, schema, columns, comments and values, each field weighted),
 * an inverted index for BM25, and the splitter that breaks run-together names into words using the
 * schema's own vocabulary. Pure and deterministic: the same stored index always gives the same search index.
 */
import type { IndexedRelation, SchemaIndex } from './relations.js';
import { COMMON_WORDS } from './vocabulary.js';
import { isStopword, splitWords, stem } from './words.js';

/** How much a word counts by where it appears. */
const FIELD = { name: 3, schema: 0.75, column: 1, comment: 1, columnComment: 0.4, values: 0.4 } as const;

const TWO_LETTER_WORDS = new Set(['id', 'no', 'nr', 'pk', 'fk', 'ip']);
const MIN_COMPOUND = 6;

export interface Postings {
  rels: number[];
  tfs: number[];
}

export interface SearchIndex {
  index: SchemaIndex;
  relations: IndexedRelation[];
  postings: Map<string, Postings>;
  docLength: Float64Array;
  avgLength: number;
  /** Every distinct term, for the substring fallback of words the index does not know. */
  terms: string[];
  /** Relation positions by lower-cased name (describe_table, names in earlier SQL). */
  byName: Map<string, number[]>;
  /** Stems of each relation's column words, by column (which columns a question touches). */
  columnStems: string[][][];
  splitter: WordSplitter;
}

/**
 * Splits run-together lower-case words (`salesorderheader` → sales order header) with the fewest known
 * words; a piece may also be known by its stem (`hire` through `hired`). Unknown when no full split exists.
 */
export class WordSplitter {
  private readonly surface = new Set<string>();
  private readonly stems = new Set<string>();
  private readonly memo = new Map<string, string[] | null>();

  constructor(words: Iterable<string>) {
    for (const w of words) this.add(w);
  }

  add(word: string): void {
    if (word.length < 3 || /\d/.test(word)) return;
    this.surface.add(word);
    this.stems.add(stem(word));
  }

  private known(piece: string): number | undefined {
    if (piece.length === 2) return TWO_LETTER_WORDS.has(piece) ? 0.3 : undefined;
    if (this.surface.has(piece)) return piece.length === 3 ? 0.3 : 0;
    if (piece.length >= 4 && this.stems.has(stem(piece))) return 0.25;
    return undefined;
  }

  split(word: string): string[] | undefined {
    if (word.length < MIN_COMPOUND || this.surface.has(word) || !/^[a-z]+$/.test(word)) return undefined;
    const cached = this.memo.get(word);
    if (cached !== undefined) return cached ?? undefined;
    const n = word.length;
    const cost = new Array<number>(n + 1).fill(Infinity);
    const from = new Array<number>(n + 1).fill(-1);
    cost[0] = 0;
    for (let i = 1; i <= n; i++) {
      for (let j = Math.max(0, i - 24); j <= i - 2; j++) {
        if (cost[j] === Infinity) continue;
        const extra = this.known(word.slice(j, i));
        if (extra === undefined) continue;
        const c = cost[j]! + 1 + extra;
        if (c < cost[i]!) {
          cost[i] = c;
          from[i] = j;
        }
      }
    }
    let pieces: string[] | null = null;
    if (cost[n] !== Infinity) {
      pieces = [];
      for (let i = n; i > 0; i = from[i]!) pieces.unshift(word.slice(from[i]!, i));
      if (pieces.length < 2) pieces = null;
    }
    this.memo.set(word, pieces);
    return pieces ?? undefined;
  }
}

/** Vocabulary for splitting: common words, the schema's prose, and words its names separate themselves. */
function splitterFor(relations: IndexedRelation[]): WordSplitter {
  const splitter = new WordSplitter(COMMON_WORDS);
  const addText = (text: string | undefined) => {
    if (text) for (const w of splitWords(text)) splitter.add(w);
  };
  const addName = (name: string) => {
    const words = splitWords(name);
    if (words.length > 1) for (const w of words) splitter.add(w);
  };
  for (const r of relations) {
    addText(r.comment);
    addName(r.name);
    for (const c of r.columns) {
      addText(c.comment);
      addName(c.name);
    }
  }
  return splitter;
}

/** Stems of an identifier: each word, and the words of run-together ones. */
export function identifierStems(name: string, splitter: WordSplitter): string[] {
  const out: string[] = [];
  for (const w of splitWords(name)) {
    out.push(stem(w));
    for (const piece of splitter.split(w) ?? []) if (!isStopword(piece)) out.push(stem(piece));
  }
  return out;
}

function proseStems(text: string | undefined): string[] {
  if (!text) return [];
  return splitWords(text)
    .filter((w) => w.length > 2 && !isStopword(w))
    .map(stem);
}

export function buildSearchIndex(index: SchemaIndex): SearchIndex {
  const relations = index.relations;
  const splitter = splitterFor(relations);
  const postings = new Map<string, Postings>();
  const docLength = new Float64Array(relations.length);
  const byName = new Map<string, number[]>();
  const columnStems: string[][][] = [];
  const nameStems = new Map<string, string[]>();
  const stemsOf = (name: string) => {
    let s = nameStems.get(name);
    if (!s) nameStems.set(name, (s = identifierStems(name, splitter)));
    return s;
  };
  // Comments repeat too ("Date and time the record was last updated." on every table).
  const textStems = new Map<string, string[]>();
  const proseOf = (text: string | undefined) => {
    if (!text) return [];
    let s = textStems.get(text);
    if (!s) textStems.set(text, (s = proseStems(text)));
    return s;
  };

  relations.forEach((r, i) => {
    const tf = new Map<string, number>();
    const add = (terms: string[], weight: number) => {
      for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + weight);
    };
    add(stemsOf(r.name), FIELD.name);
    add(stemsOf(r.schema), FIELD.schema);
    add(proseOf(r.comment), FIELD.comment);
    const cols: string[][] = [];
    for (const c of r.columns) {
      const stems = stemsOf(c.name);
      cols.push(stems);
      add(stems, FIELD.column);
      add(proseOf(c.comment), FIELD.columnComment);
      if (c.values) add(proseStems(c.values.slice(0, 50).join(' ')), FIELD.values);
    }
    columnStems.push(cols);
    let length = 0;
    for (const [term, weight] of tf) {
      length += weight;
      let p = postings.get(term);
      if (!p) postings.set(term, (p = { rels: [], tfs: [] }));
      p.rels.push(i);
      p.tfs.push(weight);
    }
    docLength[i] = length;
    const lower = r.name.toLowerCase();
    const list = byName.get(lower);
    if (list) list.push(i);
    else byName.set(lower, [i]);
  });

  const total = docLength.reduce((a, b) => a + b, 0);
  return {
    index,
    relations,
    postings,
    docLength,
    avgLength: relations.length ? total / relations.length : 1,
    terms: [...postings.keys()],
    byName,
    columnStems,
    splitter,
  };
}
