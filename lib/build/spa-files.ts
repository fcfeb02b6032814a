/**
 * What `npm run publish-spa` uploads, and how each file may be cached. Pure: no AWS here.
 *
 * A file whose name carries a content hash (`app-3f2a9c1b.js`, `main.5d41402abc4b2a76.css`) never changes
 * under that name: `public, max-age=31536000, immutable`. Everything else (`index.html`, `favicon.ico`,
 * `robots.txt`, a hash-less `logo.svg`) must be revalidated: `no-cache`. When in doubt a file counts as
 * unhashed (a year-long cache of a file that does change is the harm to avoid; a revalidation is cheap).
 */
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import mime from 'mime-types';

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'no-cache';

/**
 * Hashed: a `.` or `-` then 8+ letters/digits/underscores right before the extension (or `.chunk.js`), with at least one
 * digit and one letter (so words such as `standalone` and dates such as `20240101` do not count).
 */
export function isHashedAsset(key: string): boolean {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const match = /[.-]([A-Za-z0-9_]{8,})(\.chunk)?\.[A-Za-z0-9]+(\.map)?$/.exec(name);
  const token = match?.[1];
  return Boolean(token && /[0-9]/.test(token) && /[A-Za-z]/.test(token));
}

export interface SpaFile {
  /** Object key: the path under the directory, with `/`. */
  key: string;
  path: string;
  hashed: boolean;
  cacheControl: string;
  contentType: string;
}

function describeFile(dir: string, path: string): SpaFile {
  const key = relative(dir, path).split(sep).join('/');
  const hashed = isHashedAsset(key);
  const type = mime.lookup(key) || 'application/octet-stream';
  return {
    key,
    path,
    hashed,
    cacheControl: hashed ? IMMUTABLE : REVALIDATE,
    // Text types say their charset, as a static server would.
    contentType:
      /^text\/|javascript|json|xml|svg/.test(type) && !/charset/.test(type) ? `${type}; charset=utf-8` : type,
  };
}

/** Every file under `dir` (dot-files skipped: `.DS_Store`, `.git`), sorted by key. */
export async function listSpaFiles(dir: string): Promise<SpaFile[]> {
  const out: SpaFile[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(at, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) out.push(describeFile(dir, path));
    }
  };
  await walk(dir);
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * The order of a publish: hashed assets first (nothing references them yet), then the unhashed files with
 * `index.html` last (once it is there, the new assets it names already are).
 */
export function uploadOrder(files: SpaFile[]): SpaFile[] {
  const rank = (f: SpaFile) => (f.hashed ? 0 : f.key === 'index.html' ? 2 : 1);
  return [...files].sort((a, b) => rank(a) - rank(b) || a.key.localeCompare(b.key));
}

/** Paths to invalidate: the unhashed files uploaded or deleted; `/*` past CloudFront's cheap-path count. */
export function invalidationPaths(unhashedKeys: string[], max = 100): string[] {
  const paths = [...new Set(unhashedKeys)].map((k) => `/${k.split('/').map(encodeURIComponent).join('/')}`);
  if (unhashedKeys.includes('index.html')) paths.push('/');
  return paths.length > max ? ['/*'] : paths.sort();
}
