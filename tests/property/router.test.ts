/**
 * The router with the real route table on generated methods and paths: it never throws, and what it
 * answers is consistent with the table (a found route has the asked method and pattern shape; 405 lists
 * only methods that exist for the path; a path it finds for one method is never "not found" for another).
 */
import fc from 'fast-check';
import { createRouter } from '../../lib/http/router.js';
import { routes } from '../../handlers/routes.js';
import { nastyString } from './arbitraries.js';

const router = createRouter(routes);
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'get', 'Post', ''];

/** Segments that hit the table's literals often, plus arbitrary ones (percent-escapes, broken escapes). */
const segment = fc.oneof(
  fc.constantFrom(
    'chats',
    'connectors',
    'health',
    'inspect',
    'query',
    'explain',
    'messages',
    'api',
    '%',
    '%zz',
    '%E0%A4%A',
  ),
  nastyString(12),
  fc.webSegment(),
);
const path = fc.oneof(
  fc.array(segment, { maxLength: 5 }).map((s) => '/' + s.join('/')),
  fc.array(segment, { maxLength: 5 }).map((s) => s.join('/')),
  nastyString(60),
  fc.webPath(),
);
const method = fc.oneof(fc.constantFrom(...METHODS), nastyString(10));

describe('router on generated paths and methods', () => {
  it('never throws, and every answer agrees with the route table', () => {
    fc.assert(
      fc.property(method, path, (m, p) => {
        const match = router.match(m, p);
        const methods = router.methodsFor(p);
        if (match.kind === 'found') {
          expect(match.route.method).toBe(m.toUpperCase());
          const segments = p.split('/').filter((s) => s !== '');
          expect(match.route.pattern.split('/').filter((s) => s !== '')).toHaveLength(segments.length);
          for (const value of Object.values(match.params)) expect(value).not.toBe('');
          expect(methods).toContain(match.route.method);
        } else if (match.kind === 'method-not-allowed') {
          expect(match.allow.length).toBeGreaterThan(0);
          expect(match.allow).not.toContain(m.toUpperCase());
          expect(match.allow).toEqual(methods);
        } else {
          expect(methods).toEqual([]);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('every route is found with any non-empty parameter value, decoded', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...routes),
        nastyString(20).filter((s) => s !== ''),
        (route, value) => {
          const p = route.pattern.replace(/\{[^}]+\}/g, encodeURIComponent(value));
          const match = router.match(route.method, p);
          expect(match.kind).toBe('found');
          if (match.kind !== 'found') return;
          expect(match.route).toBe(route);
          for (const v of Object.values(match.params)) expect(v).toBe(value);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
