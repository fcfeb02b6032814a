/** Chat titles derived cheaply from the first message (no model call). */

const MAX_TITLE = 60;

/** First non-empty line, whitespace collapsed, cut at about 60 characters on a word boundary with `…`. */
export function deriveTitle(message: string, max = MAX_TITLE): string {
  const line =
    message
      .split(/\r\n|\r|\n/)
      .map((l) => l.replace(/\s+/g, ' ').trim())
      .find((l) => l.length > 0) ?? '';
  if (line.length === 0) return 'New chat';
  const chars = Array.from(line); // never cut a surrogate pair in half
  if (chars.length <= max) return line;
  const cut = chars.slice(0, max).join('');
  // When the next character is a space the cut already falls on a word boundary.
  const space = chars[max] === ' ' ? cut.length : cut.lastIndexOf(' ');
  // A word boundary only when it keeps most of the text; a single long word is cut mid-word instead.
  const head = space >= max / 2 ? cut.slice(0, space) : cut;
  return head.replace(/[\s,;:.\-–—]+$/u, '') + '…';
}
