/**
 * `embedContent` and `batchEmbedContents` answered deterministically: a hashed bag of words (each lower-cased
 * word adds ±1 to one dimension chosen by its FNV-1a hash), L2-normalised. Texts sharing words get a positive
 * cosine, identical texts the same vector, so code that blends embeddings can be tested without a key. Not
 * semantic: "supplier" and "vendor" are as far apart as any two words.
 */
import type { GeminiPart } from './types.js';

/** text-embedding-004's size; `outputDimensionality` asks for another. */
export const DEFAULT_DIMENSIONS = 768;

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function embedText(text: string, dimensions = DEFAULT_DIMENSIONS): number[] {
  const values = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const h = fnv1a(word);
    values[h % dimensions]! += h & 0x80000000 ? -1 : 1;
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((v) => v / norm);
}

interface EmbedRequest {
  content?: { parts?: GeminiPart[] };
  outputDimensionality?: number;
}

const textOf = (r: EmbedRequest) =>
  (r.content?.parts ?? []).map((p) => (typeof p.text === 'string' ? p.text : '')).join('\n');

const dimensionsOf = (r: EmbedRequest) =>
  Number.isInteger(r.outputDimensionality) && r.outputDimensionality! > 0 && r.outputDimensionality! <= 3072
    ? r.outputDimensionality!
    : DEFAULT_DIMENSIONS;

/** The response body for `action`, or undefined when the body is not an embedding request. */
export function embeddingResponse(action: string, body: Record<string, unknown>): unknown {
  if (action === 'embedContent') {
    const r = body as EmbedRequest;
    if (!r.content) return undefined;
    return { embedding: { values: embedText(textOf(r), dimensionsOf(r)) } };
  }
  const requests = (body as { requests?: EmbedRequest[] }).requests;
  if (!Array.isArray(requests)) return undefined;
  return { embeddings: requests.map((r) => ({ values: embedText(textOf(r), dimensionsOf(r)) })) };
}
