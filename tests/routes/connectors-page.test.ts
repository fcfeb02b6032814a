/** GET /connectors pages like GET /chats: `limit` and `cursor`, creation order, the sample first on page one. */
import * as routes from '../../handlers/connectors.js';
import { callRoute } from '../support/context.js';
import { useDynamo } from '../support/dynamo.js';

useDynamo();

const body = (name: string) => ({
  name,
  host: 'db.example.com',
  database: 'dw',
  user: 'analyst',
  ssl: 'require',
});

async function createMany(uid: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await callRoute(routes.createConnector, { uid, method: 'POST', body: body(`c${i}`) });
    expect(res.status).toBe(201);
    ids.push(res.body.connector.id);
  }
  return ids;
}

const list = (uid: string, query: Record<string, string> = {}) =>
  callRoute(routes.listConnectors, { uid, query });

describe('GET /connectors pages', () => {
  it('walks every connector once, in creation order, with nextCursor null on the last page', async () => {
    const ids = await createMany('pager', 7);
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await list('pager', { limit: '3', ...(cursor ? { cursor } : {}) });
      expect(page.status).toBe(200);
      sizes.push(page.body.connectors.length);
      seen.push(...page.body.connectors.map((c: { id: string }) => c.id));
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(ids);
  });

  it('without parameters gives a first page of 100, as many as a user may have by default', async () => {
    const ids = await createMany('first-page', 4);
    const page = await list('first-page');
    expect(page.body).toEqual({ connectors: expect.any(Array), nextCursor: null });
    expect(page.body.connectors.map((c: { id: string }) => c.id)).toEqual(ids);
  });

  it('refuses a bad limit, a forged cursor and unknown parameters with 400 naming the field', async () => {
    for (const [query, field] of [
      [{ limit: '0' }, 'limit'],
      [{ limit: '101' }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ cursor: 'not-a-cursor!' }, 'cursor'],
      [{ offset: '3' }, 'offset'],
    ] as const) {
      const res = await list('bad-query', query);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'IncorrectSignature', field });
    }
  });

  it("a cursor only ever pages through the caller's own connectors", async () => {
    await createMany('owner', 3);
    const cursor = (await list('owner', { limit: '1' })).body.nextCursor;
    expect(cursor).toEqual(expect.any(String));
    const other = await list('someone-else', { cursor });
    expect(other.body).toEqual({ connectors: [], nextCursor: null });
  });

  describe('with the local sample connector', () => {
    afterEach(() => delete process.env.SEMAIA_SAMPLE_PG_URL);

    it('comes first on the first page only, on top of the page size', async () => {
      const ids = await createMany('with-sample', 3);
      process.env.SEMAIA_SAMPLE_PG_URL = 'postgres://semaia:pw@127.0.0.1:5999/sample';
      const first = await list('with-sample', { limit: '2' });
      expect(first.body.connectors.map((c: { id: string }) => c.id)).toEqual(['sample', ids[0], ids[1]]);
      const second = await list('with-sample', { limit: '2', cursor: first.body.nextCursor });
      expect(second.body).toEqual({
        connectors: [expect.objectContaining({ id: ids[2] })],
        nextCursor: null,
      });
    });
  });
});
