import { createRouter } from '../../lib/http/router.js';
import { routes } from '../../handlers/routes.js';

describe('router', () => {
  const router = createRouter(routes);

  it('matches static and parameterised paths, decoding parameters', () => {
    const m = router.match('GET', '/connectors/a%20b/inspect');
    expect(m.kind).toBe('found');
    if (m.kind === 'found') {
      expect(m.route.pattern).toBe('/connectors/{id}/inspect');
      expect(m.params).toEqual({ id: 'a b' });
    }
    const health = router.match('GET', '/health');
    expect(health.kind === 'found' && health.route.auth).toBe(false);
  });

  it('ignores trailing and doubled slashes', () => {
    expect(router.match('GET', '/chats/').kind).toBe('found');
  });

  it('answers not-found for unknown paths and bad percent-encoding', () => {
    expect(router.match('GET', '/nope').kind).toBe('not-found');
    expect(router.match('GET', '/connectors/%E0%A4%A/inspect').kind).toBe('not-found');
    expect(router.match('GET', '/connectors/x/inspect/extra').kind).toBe('not-found');
  });

  it('answers method-not-allowed with the allowed methods', () => {
    const m = router.match('PATCH', '/connectors/abc');
    expect(m).toEqual({ kind: 'method-not-allowed', allow: ['PUT', 'DELETE'] });
    expect(router.match('DELETE', '/connectors')).toEqual({
      kind: 'method-not-allowed',
      allow: ['GET', 'POST'],
    });
  });

  it('lists methods for a path (preflight)', () => {
    expect(router.methodsFor('/chats/abc')).toEqual(['GET', 'DELETE']);
    expect(router.methodsFor('/unknown')).toEqual([]);
  });

  it('declares every route the API documents, each requiring a user except /health', () => {
    const table = routes.map((r) => `${r.method} ${r.pattern}`);
    expect(table).toEqual(
      expect.arrayContaining([
        'GET /connectors',
        'POST /connectors',
        'PUT /connectors/{id}',
        'DELETE /connectors/{id}',
        'GET /connectors/{id}/inspect',
        'POST /connectors/{id}/query',
        'POST /connectors/{id}/explain',
        'POST /connectors/{id}/chats',
        'GET /chats',
        'GET /chats/{chat_id}',
        'DELETE /chats/{chat_id}',
        'POST /chats/{chat_id}/messages',
      ]),
    );
    expect(routes.filter((r) => !r.auth).map((r) => r.pattern)).toEqual(['/health']);
  });
});
