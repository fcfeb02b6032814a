/**
 * What the scripted model answers when no turn is queued: a friendly echo, `run_sql` for questions about data
 * (on a table of the schema it was given when the question names one), `search_schema` when the question
 * names nothing the schema shows (then `run_sql` on the best match), and a short summary of a tool's result.
 */
import type { GeminiPart, GenerateContentBody, ScriptedTurn } from './types.js';

const DATA_WORDS =
  /\b(how many|count|rows?|tables?|list|show|data|query|sql|select|top|average|sum|total|records?|which|who)\b/i;

function lastUserTurn(body: GenerateContentBody): { text?: string; functionResponses: GeminiPart[] } {
  const last = body.contents?.[body.contents.length - 1];
  const parts = last?.parts ?? [];
  const text = parts
    .map((p) => (typeof p.text === 'string' ? p.text : ''))
    .join('')
    .trim();
  return { text: text || undefined, functionResponses: parts.filter((p) => p.functionResponse) };
}

function systemText(body: GenerateContentBody): string {
  return (body.systemInstruction?.parts ?? [])
    .map((p) => (typeof p.text === 'string' ? p.text : ''))
    .join('\n');
}

function hasTool(body: GenerateContentBody, name: string): boolean {
  const mode = (body.toolConfig as { functionCallingConfig?: { mode?: string } } | undefined)
    ?.functionCallingConfig?.mode;
  if (mode === 'NONE') return false;
  return (body.tools ?? []).some((t) => (t.functionDeclarations ?? []).some((f) => f.name === name));
}

/** Table names (`schema.table`) mentioned in the system instruction's schema summary. */
function tablesInSchema(system: string): string[] {
  const names = new Set<string>();
  for (const m of system.matchAll(
    /^\s*(?:[-*]\s*)?(?:table|view|materialized view)?\s*"?([A-Za-z_][\w$]*)"?\."?([A-Za-z_][\w$]*)"?/gim,
  )) {
    names.add(`${m[1]}.${m[2]}`);
  }
  return [...names];
}

const quoteIdent = (name: string) => '"' + name.replace(/"/g, '""') + '"';

/** The schema table the question names (`schema.table`), if any. */
function mentionedTable(question: string, system: string): string | undefined {
  const lower = question.toLowerCase();
  const found = tablesInSchema(system).find((t) => {
    const table = t.split('.')[1]!.toLowerCase();
    return lower.includes(table) || lower.includes(table.replace(/s$/, ''));
  });
  if (!found) return undefined;
  const [schema, table] = found.split('.') as [string, string];
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

const sqlFor = (question: string, target: string) =>
  /\b(how many|count|number of|total)\b/i.test(question)
    ? `SELECT count(*) AS count FROM ${target}`
    : `SELECT * FROM ${target} LIMIT 10`;

const LIST_TABLES_SQL =
  "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') " +
  'ORDER BY 1, 2 LIMIT 20';

/** Words that name no table: what is left of a question is worth a search_schema call. */
const GENERIC =
  /^(how|many|much|what|which|who|whom|where|when|with|from|that|this|these|those|there|their|have|does|each|every|list|show|count|number|total|average|rows?|tables?|columns?|records?|data|database|query|select|please|give|tell|about|into|over|most|least|some|them|they|top|sum)$/i;

function searchWords(question: string): string | undefined {
  const words = (question.match(/[\p{L}\p{N}_]+/gu) ?? []).filter((w) => w.length >= 4 && !GENERIC.test(w));
  return words.length ? words.join(' ') : undefined;
}

const call = (name: string, args: Record<string, unknown>) => ({
  functionCall: { name, args, id: `call-${Date.now().toString(36)}` },
});

function words(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [text];
}

function summarizeFunctionResponse(part: GeminiPart): string {
  const fr = part.functionResponse as { name?: string; response?: Record<string, unknown> } | undefined;
  const resp = (fr?.response ?? {}) as Record<string, unknown>;
  const out = (resp.output ?? resp) as Record<string, unknown>;
  if (resp.error || out.error) {
    const err = (resp.error ?? out.error) as { message?: string } | string;
    return `The query failed (${typeof err === 'string' ? err : (err.message ?? 'error')}). I would need to adjust it. `;
  }
  const rows = Array.isArray(out.rows) ? (out.rows as unknown[][]) : [];
  const columns = Array.isArray(out.columns)
    ? (out.columns as unknown[]).map((c) => (typeof c === 'string' ? c : (c as { name?: string }).name))
    : [];
  const count = typeof out.rowCount === 'number' ? out.rowCount : rows.length;
  let text = `The query returned ${count} row${count === 1 ? '' : 's'}`;
  if (columns.length) text += ` with columns ${columns.join(', ')}`;
  text += '. ';
  if (rows.length) {
    const first = rows[0]!;
    text += `The first row is: ${columns.map((c, i) => `${c} = ${JSON.stringify(first[i])}`).join(', ')}. `;
  }
  return text + '(This answer comes from the scripted model: set GEMINI_API_KEY to talk to Gemini.)';
}

/** The first relation of a search_schema result (its lines start with the quoted qualified name). */
function firstFound(part: GeminiPart): string | undefined {
  const fr = part.functionResponse as { name?: string; response?: { relations?: unknown[] } } | undefined;
  const first = fr?.response?.relations?.[0];
  return typeof first === 'string'
    ? /^((?:"(?:[^"]|"")+"|[^\s.(:]+)\.(?:"(?:[^"]|"")+"|[^\s.(:]+))/.exec(first)?.[1]
    : undefined;
}

/** The user's question: the last user turn with text (tool results come back as user turns too). */
function lastQuestion(body: GenerateContentBody): string {
  for (let i = (body.contents?.length ?? 0) - 1; i >= 0; i--) {
    const c = body.contents![i]!;
    const text = (c.parts ?? [])
      .map((p) => (typeof p.text === 'string' ? p.text : ''))
      .join('')
      .trim();
    if (c.role !== 'model' && text) return text;
  }
  return '';
}

export function defaultTurn(body: GenerateContentBody, delayMs: number): ScriptedTurn {
  const { text, functionResponses } = lastUserTurn(body);
  if (functionResponses.length > 0) {
    const search = functionResponses.find(
      (p) => (p.functionResponse as { name?: string } | undefined)?.name === 'search_schema',
    );
    if (search && hasTool(body, 'run_sql')) {
      const target = firstFound(search);
      if (target) {
        return {
          chunks: [
            ...words(`I found ${target}. `),
            call('run_sql', { sql: sqlFor(lastQuestion(body), target) }),
          ],
          delayMs,
        };
      }
      return { chunks: words('I could not find a table about that in your database. '), delayMs };
    }
    return { chunks: words(functionResponses.map(summarizeFunctionResponse).join(' ')), delayMs };
  }
  const question = text ?? '';
  const system = systemText(body);
  if (hasTool(body, 'run_sql') && DATA_WORDS.test(question)) {
    const target = mentionedTable(question, system);
    const keywords = target ? undefined : searchWords(question);
    if (keywords && hasTool(body, 'search_schema')) {
      return {
        chunks: [...words('Let me find the right table. '), call('search_schema', { query: keywords })],
        delayMs,
      };
    }
    const sql = target ? sqlFor(question, target) : LIST_TABLES_SQL;
    return {
      chunks: [...words('Let me look that up in your database. '), call('run_sql', { sql })],
      delayMs,
    };
  }
  if (/EXPLAIN|query plan/i.test(system) || /"Node Type"/.test(question)) {
    const node = /"Node Type"\s*:\s*"([^"]+)"/.exec(question)?.[1];
    const reply =
      `This query reads the data it needs and returns the result. ` +
      (node ? `The top step of PostgreSQL's plan is: ${node}. ` : '') +
      '(Explanation written by the scripted model: set GEMINI_API_KEY for a real one.)';
    return { chunks: words(reply), delayMs };
  }
  const reply = question
    ? `You said: "${question.length > 200 ? question.slice(0, 200) + '…' : question}". I am the scripted Gemini model; ask me about your data (for example "how many rows are in each table?") to see a query run.`
    : 'Hello from the scripted Gemini model.';
  return { chunks: words(reply), delayMs };
}
