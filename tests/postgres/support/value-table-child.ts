/**
 * Runs every example of the docs' value table in a process of its own, so the test can set TZ (Node reads it
 * at start). Usage: node --import tsx value-table-child.ts <postgres-url>; prints [[json, csv], …] as JSON.
 */
import { parsePostgresUrl } from '../../../lib/connectors/url.js';
import { readValueTable, runExample } from './value-table.js';

const conn = parsePostgresUrl(process.argv[2]!, 'disable');
const out: [string, string][] = [];
for (const row of readValueTable()) out.push(await runExample(conn, row.example));
// The offset (minutes west of UTC) on a winter date proves which zone the process ran in.
process.stdout.write(JSON.stringify({ offset: new Date('2024-01-02T00:00:00Z').getTimezoneOffset(), out }));
