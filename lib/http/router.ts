/**
 * Matches a method and path against the route table. Pure: the table is data, the answer says which route
 * (with decoded path parameters), or which methods the path allows (405), or nothing (404).
 */

export interface RouteSpec {
  method: string;
  pattern: string;
}

export type Match<R> =
  | { kind: 'found'; route: R; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'not-found' };

interface Compiled<R> {
  route: R;
  segments: Array<{ literal: string } | { param: string }>;
}

export interface Router<R> {
  match(method: string, path: string): Match<R>;
  /** Methods registered for a path, for preflight answers; empty when the path is unknown. */
  methodsFor(path: string): string[];
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

export function createRouter<R extends RouteSpec>(routes: readonly R[]): Router<R> {
  const compiled: Compiled<R>[] = routes.map((route) => ({
    route,
    segments: splitPath(route.pattern).map((s) =>
      s.startsWith('{') && s.endsWith('}') ? { param: s.slice(1, -1) } : { literal: s },
    ),
  }));

  const matchPath = (path: string) => {
    const parts = splitPath(path);
    const hits: Array<{ route: R; params: Record<string, string> }> = [];
    for (const c of compiled) {
      if (c.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = c.segments[i]!;
        const part = parts[i]!;
        if ('literal' in seg) ok = seg.literal === part;
        else {
          const value = safeDecode(part);
          if (value === undefined || value === '') ok = false;
          else params[seg.param] = value;
        }
      }
      if (ok) hits.push({ route: c.route, params });
    }
    return hits;
  };

  return {
    match(method, path) {
      const hits = matchPath(path);
      if (hits.length === 0) return { kind: 'not-found' };
      const upper = method.toUpperCase();
      const hit = hits.find((h) => h.route.method === upper);
      if (hit) return { kind: 'found', route: hit.route, params: hit.params };
      return { kind: 'method-not-allowed', allow: unique(hits.map((h) => h.route.method)) };
    },
    methodsFor(path) {
      return unique(matchPath(path).map((h) => h.route.method));
    },
  };
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
