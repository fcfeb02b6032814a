/**
 * Classifies user and model SQL with PostgreSQL's own parser (libpg-query: libpg_query built to WASM) before
 * it reaches the server, so the check reads the statement exactly as the server will: comments ended by a
 * carriage return, nested comments, dollar quotes, E'' and U&"" strings cannot hide anything from it.
 *
 * Allowed: exactly one SELECT (with WITH, VALUES, TABLE, set operations), EXPLAIN of one, or SHOW.
 * Refused, anywhere in the tree: SELECT … INTO, row-locking clauses, data-modifying WITH, and calls of the
 * functions in sql-policy.ts. Every other statement kind is refused by name. A read-only transaction still
 * wraps what runs; this check covers what it does not (see docs/security.md).
 *
 * The parser (WASM) is loaded on first use by a dynamic import: only the routes that run SQL pay
 * for it.
 */
import type * as PgQuery from 'libpg-query';
import { AppError } from '../errors.js';
import { deniedFunction } from './sql-policy.js';

export type StatementKind = 'select' | 'explain' | 'show';

type Parser = Pick<typeof PgQuery, 'parseSync' | 'loadModule'>;
type Node = Record<string, unknown>;

let loading: Promise<Parser> | undefined;

/** The parser, loaded once per process. */
export function loadParser(): Promise<Parser> {
  loading ??= import('libpg-query').then(async (mod) => {
    // A CommonJS package: the esbuild bundle gives its exports as `default`, Node and jest as named exports.
    const lib = typeof mod.loadModule === 'function' ? mod : (mod as unknown as { default: Parser }).default;
    await lib.loadModule();
    return lib;
  });
  loading.catch(() => (loading = undefined)); // a failed load is retried by the next request
  return loading;
}

const refuse = (message: string, details?: Record<string, unknown>) =>
  new AppError('SqlError', message, details);

const ALLOWED = 'Semaia runs one SELECT (with WITH, VALUES or TABLE), EXPLAIN of a SELECT, or SHOW';

/** Statement names where the parse node's name does not say it as SQL does. */
const NAMES: Record<string, (node: Node) => string> = {
  VariableSetStmt: (n) => (String(n.kind).startsWith('VAR_RESET') ? 'RESET' : 'SET'),
  TransactionStmt: (n) => String(n.kind).replace('TRANS_STMT_', '').replace(/_/g, ' '),
  VacuumStmt: (n) => (n.is_vacuumcmd ? 'VACUUM' : 'ANALYZE'),
  FetchStmt: (n) => (n.ismove ? 'MOVE' : 'FETCH'),
  GrantStmt: (n) => (n.is_grant ? 'GRANT' : 'REVOKE'),
  CheckPointStmt: () => 'CHECKPOINT',
  ClosePortalStmt: () => 'CLOSE',
  RefreshMatViewStmt: () => 'REFRESH MATERIALIZED VIEW',
  IndexStmt: () => 'CREATE INDEX',
  ViewStmt: () => 'CREATE VIEW',
  CreatedbStmt: () => 'CREATE DATABASE',
  DropdbStmt: () => 'DROP DATABASE',
  RuleStmt: () => 'CREATE RULE',
  CreateTableAsStmt: (n) => (n.objtype === 'OBJECT_MATVIEW' ? 'CREATE MATERIALIZED VIEW' : 'CREATE TABLE AS'),
  CreateStmt: () => 'CREATE TABLE',
};

/** `AlterTableStmt` → `ALTER TABLE`. */
function statementName(type: string, node: Node): string {
  const named = NAMES[type];
  if (named) return named(node);
  return type
    .replace(/Stmt$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

const article = (name: string) => (/^[AEIOU]/.test(name) ? 'an' : 'a');

const LOCK_STRENGTH: Record<string, string> = {
  LCS_FORKEYSHARE: 'FOR KEY SHARE',
  LCS_FORSHARE: 'FOR SHARE',
  LCS_FORNOKEYUPDATE: 'FOR NO KEY UPDATE',
  LCS_FORUPDATE: 'FOR UPDATE',
};
const WRITES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

const entries = (value: unknown): [string, unknown][] =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];

/** Refuses what a SELECT may not contain, at any depth: locks, INTO, writes, denied functions. */
function checkTree(root: unknown): void {
  // Iterative, and only objects are visited: parse trees of 10 KB statements hold tens of thousands of nodes.
  const stack: object[] = [root as object];
  while (stack.length > 0) {
    const value = stack.pop()!;
    if (Array.isArray(value)) {
      for (const item of value as unknown[]) if (item !== null && typeof item === 'object') stack.push(item);
      continue;
    }
    for (const key in value) {
      const child = (value as Node)[key];
      if (child === null || typeof child !== 'object') continue;
      if (key === 'FuncCall') checkFunction(child as Node);
      else if (key === 'lockingClause' && Array.isArray(child) && child.length > 0) {
        const strength = (child[0] as { LockingClause?: { strength?: string } }).LockingClause?.strength;
        const clause = LOCK_STRENGTH[strength ?? ''] ?? 'FOR UPDATE';
        throw refuse(`SELECT … ${clause} is not allowed: row locks block other sessions. ${ALLOWED}`, {
          statement: `SELECT … ${clause}`,
        });
      } else if (key === 'intoClause') {
        throw refuse(`SELECT … INTO is not allowed: it creates a table. ${ALLOWED}`, {
          statement: 'SELECT … INTO',
        });
      } else if (WRITES.has(key)) {
        const name = statementName(key, child as Node);
        throw refuse(`WITH … ${name} is not allowed: the statement would change data. ${ALLOWED}`, {
          statement: `WITH … ${name}`,
        });
      }
      stack.push(child);
    }
  }
}

function checkFunction(call: Node): void {
  const parts = (call.funcname as { String?: { sval?: string } }[] | undefined) ?? [];
  const name = parts[parts.length - 1]?.String?.sval ?? '';
  const denied = deniedFunction(name);
  if (denied) {
    throw refuse(`The function ${name} is not allowed: ${denied.why}`, { function: name });
  }
}

function parse(parser: Parser, sql: string): { stmt: Node }[] {
  if (sql.trim() === '') return [];
  try {
    return (parser.parseSync(sql).stmts ?? []) as unknown as { stmt: Node }[];
  } catch (err) {
    const e = err as { message?: string; sqlDetails?: { cursorPosition?: number } };
    // Syntax errors read as the server would report them: SQLSTATE 42601 and a 1-based position.
    const position = e.sqlDetails?.cursorPosition;
    throw refuse(e.message ?? 'syntax error', {
      pgCode: '42601',
      ...(position !== undefined ? { position: position + 1 } : {}),
    });
  }
}

/** Throws SqlError unless `sql` is one allowed statement; returns its kind. */
export async function checkStatement(sql: string): Promise<StatementKind> {
  // The parser reads a C string: it would stop at a NUL the server never sees the same way.
  if (sql.includes('\0')) throw refuse('The SQL contains a NUL character');
  const stmts = parse(await loadParser(), sql);
  if (stmts.length === 0) throw refuse('The SQL contains no statement');
  if (stmts.length > 1) throw refuse('Only one SQL statement can be run at a time');
  const [type, node] = entries(stmts[0]!.stmt)[0] ?? ['', {}];
  if (type === 'VariableShowStmt') return 'show';
  if (type === 'SelectStmt') {
    checkTree(node);
    return 'select';
  }
  if (type === 'ExplainStmt') {
    const [inner, innerNode] = entries((node as Node).query)[0] ?? ['', {}];
    if (inner !== 'SelectStmt') {
      const name = statementName(inner, innerNode as Node);
      throw refuse(`EXPLAIN of ${article(name)} ${name} is not allowed. ${ALLOWED}`, {
        statement: `EXPLAIN of ${article(name)} ${name}`,
      });
    }
    checkTree(node);
    return 'explain';
  }
  const name = statementName(type, node as Node);
  throw refuse(`${name} statements are not allowed. ${ALLOWED}`, { statement: name });
}
