/**
 * The size DynamoDB counts for an item, by its documented rules (attribute names and string values in
 * UTF-8 bytes; numbers about one byte per two digits plus one; 3 bytes per list or map plus 1 per element;
 * 1 byte for booleans and null). Items may not exceed 400 KB; embedded servers do not always check it.
 */
export const MAX_ITEM_BYTES = 400 * 1024;

function valueBytes(v: unknown): number {
  if (v === null || v === undefined || typeof v === 'boolean') return 1;
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (typeof v === 'number') return Math.ceil(String(Math.abs(v)).replace(/[.-]/g, '').length / 2) + 1;
  if (Buffer.isBuffer(v)) return v.length;
  if (Array.isArray(v)) return 3 + v.reduce((n: number, x) => n + 1 + valueBytes(x), 0);
  if (typeof v === 'object') {
    let n = 3;
    for (const [k, x] of Object.entries(v))
      if (x !== undefined) n += 1 + Buffer.byteLength(k) + valueBytes(x);
    return n;
  }
  return Buffer.byteLength(String(v));
}

export function itemBytes(item: Record<string, unknown>): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) if (v !== undefined) n += Buffer.byteLength(k) + valueBytes(v);
  return n;
}
