import { createTestDatabase, testPgUrl, type TestDatabase } from '../support/postgres.js';

describe('jest PostgreSQL setup', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('smoke');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('gives each file its own database on the shared server', async () => {
    expect(testPgUrl()).toMatch(/^postgres(ql)?:\/\//);
    const { rows } = await db.query<{ db: string; su: boolean }>(
      "SELECT current_database() AS db, current_setting('is_superuser') = 'on' AS su",
    );
    expect(rows[0]).toEqual({ db: db.name, su: true });
  });
});
