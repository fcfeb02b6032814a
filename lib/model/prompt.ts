/**
 * What the model is told: the system instructions (with the schema summary) and the chat history as Gemini
 * contents, kept within a character budget (most recent messages first).
 */
import type { Content } from '@google/genai';
import type { Message, QueryRecord } from '../types.js';

/** Characters of earlier messages sent as history (about 10k tokens). */
export const HISTORY_BUDGET_CHARS = 40_000;

export function chatSystemInstruction(opts: {
  database: string;
  schemaSummary: string;
  rowLimit: number;
}): string {
  return [
    'You are Semaia, an assistant that helps people understand and query their PostgreSQL database.',
    `You are connected to the database "${opts.database}" through read-only tools:`,
    `- run_sql runs one read-only SQL statement (PostgreSQL dialect) and returns at most ${opts.rowLimit} rows;`,
    '- describe_table returns the full column list, keys, referencing tables and indexes of one table;',
    '- search_schema finds tables and views by keywords or a name pattern (e.g. %invoice%).',
    'Use the tools when the question needs data; do not invent numbers. When a query fails, read the error and',
    'correct the query. Prefer aggregates and LIMIT over reading many rows. Never try to modify data.',
    'Answer in concise Markdown. Show the SQL you ran only when it helps the user.',
    '',
    'The schema below is a subset chosen for this conversation: the relations most relevant to the latest',
    'message, best first, with their columns (identifiers quoted as SQL needs them, {…} lists the values a',
    'column allows), then the names of the next most relevant. A table you need may not be listed: call',
    'search_schema to find it and describe_table for its columns before writing SQL against it.',
    '',
    'Database schema:',
    opts.schemaSummary,
  ].join('\n');
}

export function explainSystemInstruction(opts: { database: string; schemaSummary: string }): string {
  return [
    'You are Semaia, an expert in PostgreSQL. Explain a SQL query to a developer in concise Markdown:',
    'first what it computes in plain words, then how PostgreSQL will run it according to the EXPLAIN plan',
    '(scans, joins, sorts, estimated rows and cost), then any likely performance problem with a concrete fix',
    '(an index, a rewrite). Base the explanation on the plan and the schema given; do not invent tables.',
    '',
    `Database "${opts.database}" schema:`,
    opts.schemaSummary,
  ].join('\n');
}

export function explainUserPrompt(sql: string, plan: unknown, budgetChars = 20_000): string {
  let planText = JSON.stringify(plan, null, 1);
  if (planText.length > budgetChars) planText = planText.slice(0, budgetChars) + '\n… (plan cut to fit)';
  return `Query:\n\`\`\`sql\n${sql}\n\`\`\`\n\nEXPLAIN (FORMAT JSON) plan:\n\`\`\`json\n${planText}\n\`\`\``;
}

/** A compact note of the SQL a stored reply ran, so the model remembers it in later turns. */
function queriesNote(queries: QueryRecord[] | undefined): string {
  if (!queries?.length) return '';
  const lines = queries.map((q) => {
    const r = q.result;
    const outcome = q.error
      ? `failed: ${q.error.message}`
      : r
        ? `${r.rowCount} row(s)${r.truncated ? ', truncated' : ''}${r.columns.length ? `; columns ${r.columns.map((c) => c.name).join(', ')}` : ''}`
        : 'no result';
    return `- ${q.sql.length > 500 ? q.sql.slice(0, 500) + '…' : q.sql} → ${outcome}`;
  });
  return `\n\n[SQL run for this answer:\n${lines.join('\n')}]`;
}

function messageText(m: Message): string {
  if (m.role === 'user') return m.content;
  const body = m.content + queriesNote(m.queries);
  return m.status === 'incomplete' && m.content ? body + '\n[this reply was interrupted]' : body;
}

/**
 * Earlier messages as contents, newest kept first until the budget is spent (a message is never cut in the
 * middle, except when the newest one alone is too large: then its end is kept). Empty replies are skipped.
 */
export function historyContents(messages: Message[], budgetChars = HISTORY_BUDGET_CHARS): Content[] {
  const picked: Content[] = [];
  let used = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    let text = messageText(m);
    if (text.trim() === '') continue;
    if (used + text.length > budgetChars) {
      if (picked.length > 0) break;
      text = '…' + text.slice(text.length - budgetChars);
    }
    used += text.length;
    picked.push({ role: m.role === 'user' ? 'user' : 'model', parts: [{ text }] });
  }
  // History must start with a user turn for Gemini.
  while (picked.length > 0 && picked[picked.length - 1]!.role !== 'user') picked.pop();
  return picked.reverse();
}

export const userContent = (text: string): Content => ({ role: 'user', parts: [{ text }] });
