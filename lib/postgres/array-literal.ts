/**
 * PostgreSQL's array output (`{1,2}`, `{{"a b",NULL},{c,"d\\"e"}}`, `[0:1]={1,2}`, `{(1,1),(0,0);(2,2),(1,1)}`)
 * parsed into nested arrays (pure). Elements are quoted when they contain the delimiter, braces, quotes,
 * backslashes or white space, or spell NULL; inside quotes a backslash escapes the next character. A bare NULL
 * is SQL NULL. Non-default lower bounds (`[0:1]=`) are dropped: JSON arrays start at 0.
 */

export type Nested<T> = (T | null | Nested<T>)[];

export function parseArrayLiteral<T>(
  text: string,
  delimiter: string,
  element: (text: string) => T,
): Nested<T> {
  let i = 0;
  if (text[0] === '[') {
    const eq = text.indexOf('=');
    if (eq === -1) throw new Error('Malformed array literal: dimensions without "="');
    i = eq + 1;
  }

  const parseLevel = (): Nested<T> => {
    if (text[i] !== '{') throw new Error(`Malformed array literal at ${i}: expected "{"`);
    i++;
    const out: Nested<T> = [];
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      if (text[i] === '{') {
        out.push(parseLevel());
      } else if (text[i] === '"') {
        let value = '';
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\') i++;
          value += text[i];
          i++;
        }
        i++; // closing quote
        out.push(element(value));
      } else {
        let end = i;
        while (end < text.length && text[end] !== delimiter && text[end] !== '}') end++;
        const raw = text.slice(i, end);
        i = end;
        out.push(raw === 'NULL' ? null : element(raw));
      }
      if (text[i] === delimiter) {
        i++;
      } else if (text[i] === '}') {
        i++;
        return out;
      } else {
        throw new Error(`Malformed array literal at ${i}`);
      }
    }
  };

  return parseLevel();
}
