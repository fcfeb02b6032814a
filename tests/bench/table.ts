/**
 * The benchmark report: one row per figure, with its target and PASS/MISS (or INFO for figures printed
 * without a target), rendered as a fixed-width table.
 */

export type Verdict = 'PASS' | 'MISS' | 'INFO';

export interface Row {
  part: string;
  name: string;
  /** The measured figure, already formatted with its unit. */
  value: string;
  /** What it is compared with, e.g. "≤ 30 ms over node -e 0"; empty for INFO rows. */
  target: string;
  verdict: Verdict;
  /** A short note (how it was measured, a sub-figure). */
  note?: string;
}

export const info = (part: string, name: string, value: string, note?: string): Row => ({
  part,
  name,
  value,
  target: '',
  verdict: 'INFO',
  note,
});

export const check = (
  part: string,
  name: string,
  value: string,
  target: string,
  pass: boolean,
  note?: string,
): Row => ({
  part,
  name,
  value,
  target,
  verdict: pass ? 'PASS' : 'MISS',
  note,
});

export function renderTable(rows: Row[]): string {
  const headers = ['part', 'figure', 'value', 'target', 'result', 'note'];
  const cells = rows.map((r) => [r.part, r.name, r.value, r.target, r.verdict, r.note ?? '']);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (cols: string[]) => '| ' + cols.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [line(headers), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...cells.map(line)].join(
    '\n',
  );
}

export function summary(rows: Row[]): string {
  const pass = rows.filter((r) => r.verdict === 'PASS').length;
  const miss = rows.filter((r) => r.verdict === 'MISS');
  return `${pass} PASS, ${miss.length} MISS${miss.length ? ` (${miss.map((r) => `${r.part}: ${r.name}`).join('; ')})` : ''}`;
}
