/**
 * Words for schema search: identifiers and prose split into lower-case words (snake_case, camelCase,
 * digits), and a light English stemmer so that `orders`, `ordered` and `order` meet, as do `categories` and
 * `category`, `hired` and `hire`. Deliberately conservative: a wrong merge costs more than a missed one,
 * because every relation that shares a stem competes for the same budget.
 */

/** Words too common in questions to say anything about which table is meant. */
const STOPWORDS = new Set(
  (
    'a about above after again all also am an and any are as at be been before being below between both but ' +
    'by can could did do does doing done each else ever every few for from get give got had has have having he ' +
    'her here hers him his how i if in into is it its just let list me more most much must my no nor not now of ' +
    'off on once one only or other our ours out over own per please same she should show so some such tell than ' +
    'that the their them then there these they this those through to too under until up us very want was we ' +
    'were what when where which while who whom whose why will with within would you your yours table tables ' +
    'column columns database data row rows record records find many number count total give show get sql query'
  ).split(' '),
);

/** Irregular plurals that suffix rules cannot reach. */
const IRREGULAR: Record<string, string> = {
  people: 'person',
  persons: 'person',
  children: 'child',
  men: 'man',
  women: 'woman',
  staff: 'staff',
  indices: 'index',
  matrices: 'matrix',
  analyses: 'analysis',
  criteria: 'criterion',
  data: 'data',
  media: 'media',
  statuses: 'status',
  series: 'series',
  news: 'news',
  canvas: 'canvas',
  alias: 'alias',
  aliases: 'alias',
  gas: 'gas',
};

const VOWEL = /[aeiouy]/;

function undouble(word: string): string {
  // shipped → shipp → ship; but keep -ll/-ss/-zz (billing → bill, passed → pass).
  const n = word.length;
  if (n >= 4 && word[n - 1] === word[n - 2] && !'lsz'.includes(word[n - 1]!)) return word.slice(0, -1);
  return word;
}

function stemWord(input: string): string {
  let w = input.toLowerCase();
  if (w.length <= 2 || /\d/.test(w)) return w;
  const irregular = IRREGULAR[w];
  if (irregular) return irregular === w ? w : stemWord(irregular);
  if (w.endsWith('ies') && w.length > 4) w = w.slice(0, -3) + 'y';
  else if (/(ss|x|ch|sh|zz)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w) && w.length > 3) w = w.slice(0, -1);
  if (w.endsWith('ing') && w.length > 5 && VOWEL.test(w.slice(0, -3))) w = undouble(w.slice(0, -3));
  else if (w.endsWith('ed') && w.length > 4 && VOWEL.test(w.slice(0, -2))) {
    w = w.endsWith('ied') ? w.slice(0, -3) + 'y' : undouble(w.slice(0, -2));
  }
  if (w.endsWith('ation') && w.length > 8) w = w.slice(0, -5);
  if (w.endsWith('e') && w.length > 3) w = w.slice(0, -1);
  if (w.endsWith('y') && w.length > 3 && !VOWEL.test(w[w.length - 2]!)) w = w.slice(0, -1) + 'i';
  return w;
}

// Schemas repeat their words endlessly (every `customer_id`): stems are remembered, up to a bound.
const stems = new Map<string, string>();
const STEM_CACHE = 50_000;

/** A light stemmer: plural and verb endings off, a final e dropped (`hire`, `hired`, `hiring` → `hir`). */
export function stem(word: string): string {
  let s = stems.get(word);
  if (s === undefined) {
    if (stems.size >= STEM_CACHE) stems.clear();
    stems.set(word, (s = stemWord(word)));
  }
  return s;
}

/**
 * Splits an identifier or a phrase into lower-case words: on anything not a letter or digit, on camelCase
 * humps (`SalesOrderID` → sales order id), and between letters and digits (`p2022` → p 2022).
 */
export function splitWords(text: string): string[] {
  // Most names are lower-case snake_case: no regular expression needed.
  if (/^[a-z_]+$/.test(text)) return text.split('_').filter((w) => w.length > 0);
  if (!/[^\t\n\r -~]/.test(text)) return splitAscii(text); // printable ASCII
  return text
    .replace(/([\p{Ll}\d])(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
    .replace(/(\p{L})(\d)/gu, '$1 $2')
    .replace(/(\d)(\p{L})/gu, '$1 $2')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

const LOWER = 1;
const UPPER = 2;
const DIGIT = 3;
const kindOf = (c: number) =>
  c >= 97 && c <= 122 ? LOWER : c >= 65 && c <= 90 ? UPPER : c >= 48 && c <= 57 ? DIGIT : 0;

/** The same splits as the Unicode path, in one pass over ASCII text (comments and names are mostly that). */
function splitAscii(text: string): string[] {
  const out: string[] = [];
  let start = -1;
  let prev = 0;
  for (let i = 0; i <= text.length; i++) {
    const kind = i < text.length ? kindOf(text.charCodeAt(i)) : 0;
    const boundary =
      kind === 0 ||
      (kind === UPPER && prev !== UPPER && prev !== 0) ||
      (kind === DIGIT) !== (prev === DIGIT) ||
      (kind === UPPER && prev === UPPER && kindOf(text.charCodeAt(i + 1)) === LOWER);
    if (boundary && start >= 0) {
      out.push(text.slice(start, i).toLowerCase());
      start = -1;
    }
    if (kind !== 0 && start < 0) start = i;
    prev = kind;
  }
  return out;
}

export const isStopword = (word: string) => STOPWORDS.has(word);

/** Stems of the meaningful words of a question (stopwords and one-letter words dropped). */
export function questionStems(text: string): string[] {
  return splitWords(text)
    .filter((w) => (w.length > 1 || /\d/.test(w)) && !STOPWORDS.has(w))
    .map(stem);
}
