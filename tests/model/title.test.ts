import { deriveTitle } from '../../lib/model/title.js';

describe('deriveTitle', () => {
  it('keeps a short first line, whitespace collapsed', () => {
    expect(deriveTitle('  How many   orders\tper day?\nsecond line')).toBe('How many orders per day?');
  });

  it('skips leading blank lines', () => {
    expect(deriveTitle('\n\n   \r\nTop customers')).toBe('Top customers');
  });

  it('cuts long lines on a word boundary with an ellipsis', () => {
    const title = deriveTitle(
      'Which customers placed more than three orders last month and what was their average basket size?',
    );
    expect(title.endsWith('…')).toBe(true);
    expect(title.length).toBeLessThanOrEqual(61);
    expect(title).toBe('Which customers placed more than three orders last month and…');
  });

  it('cuts a single very long word mid-word', () => {
    const title = deriveTitle('x'.repeat(100));
    expect(title).toBe('x'.repeat(60) + '…');
  });

  it('never splits a surrogate pair', () => {
    const title = deriveTitle('😀'.repeat(80));
    expect(Array.from(title.slice(0, -1)).every((c) => c === '😀')).toBe(true);
  });

  it('falls back for an empty message', () => {
    expect(deriveTitle(' \n\t ')).toBe('New chat');
  });
});
