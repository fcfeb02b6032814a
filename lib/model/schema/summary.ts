/**
 * The schema text the model receives with a message, within a character budget: full lines for the most
 * relevant relations in ranking order (the first few with column comments), then the names of the next most
 * relevant, then a count of the rest. Never alphabetical: what is cut is what matters least.
 */
import { relationLine, type LineOptions } from './lines.js';
import { qualifiedName } from './quote.js';
import { matchedColumns, type Ranked, type Ranking } from './rank.js';

export const SCHEMA_SUMMARY_BUDGET = 12_000;

/** Share of the budget spent on lines that carry column comments. */
const RICH_SHARE = 0.3;
/** Share kept for the names of the next relations. */
const NAMES_SHARE = 0.1;
/** Relations tried past one that does not fit (a shorter one may). */
const LOOKAHEAD = 6;

const RICH: Omit<LineOptions, 'maxChars'> = { columnComment: 60, comment: 100 };
const COMPACT: Omit<LineOptions, 'maxChars'> = { columnComment: 0, comment: 80 };

export interface SummaryFacts {
  text: string;
  /** Relations given a full line, in order. */
  full: number[];
  /** Relations named without columns. */
  named: number[];
}

export function buildSummary(r: Ranked, ranking: Ranking, budget = SCHEMA_SUMMARY_BUDGET): SummaryFacts {
  const rels = r.search.relations;
  if (rels.length === 0)
    return { text: '(no tables or views are visible to this connection)', full: [], named: [] };
  const total = rels.length;
  const truncatedNote = r.search.index.truncated
    ? ' (the catalog has more: only the first ones were read)'
    : '';
  const intro = ranking.terms.size
    ? `${total} relations${truncatedNote}, ranked by relevance to the conversation, most relevant first:`
    : `${total} relations${truncatedNote}, the most central first:`;
  const fullBudget = Math.floor(budget * (1 - NAMES_SHARE)) - intro.length - 200;
  const maxChars = Math.max(400, Math.floor(budget / 4));

  const lines: string[] = [intro];
  const full: number[] = [];
  const skipped: number[] = [];
  let used = 0;
  let misses = 0;
  let pos = 0;
  for (; pos < ranking.order.length && misses <= LOOKAHEAD; pos++) {
    const i = ranking.order[pos]!;
    const style = used < budget * RICH_SHARE ? RICH : COMPACT;
    const keep = ranking.terms.size ? matchedColumns(r, i, ranking.terms) : undefined;
    const line = relationLine(rels[i]!, { ...style, maxChars, ...(keep ? { keep } : {}) });
    if (used + line.length + 1 > fullBudget) {
      skipped.push(i);
      misses++;
      continue;
    }
    lines.push(line);
    full.push(i);
    used += line.length + 1;
  }

  const rest = [...skipped, ...ranking.order.slice(pos)];
  const named: number[] = [];
  if (rest.length) {
    const prefix = 'Next most relevant (columns not shown): ';
    const room = budget - used - intro.length - prefix.length - 160;
    const names: string[] = [];
    let length = 0;
    for (const i of rest) {
      const name = qualifiedName(rels[i]!.schema, rels[i]!.name);
      if (length + name.length + 2 > room) break;
      names.push(name);
      named.push(i);
      length += name.length + 2;
    }
    if (names.length) lines.push(prefix + names.join(', '));
    const left = rest.length - names.length;
    if (left > 0) lines.push(`… and ${left} more relations not listed: search_schema finds them.`);
  }
  return { text: lines.join('\n'), full, named };
}
