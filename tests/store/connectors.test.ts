import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { AppError } from '../../lib/errors.js';
import { documentClient } from '../../lib/store/client.js';
import {
  createConnector,
  deleteConnector,
  getConnectionConfig,
  getConnector,
  listConnectors,
  updateConnector,
  type NewConnector,
} from '../../lib/store/connectors.js';
import { useDynamo } from '../support/dynamo.js';

const dynamo = useDynamo();

const PASSWORD = 'S3cret-p@ss-4b9e1d';
const input = (over: Partial<NewConnector> = {}): NewConnector => ({
  name: 'Prod',
  host: 'db.example.com',
  port: 5432,
  database: 'shop',
  user: 'reader',
  password: PASSWORD,
  ssl: 'require',
  ...over,
});

const rawItem = async (uid: string, id: string) =>
  (
    await documentClient().send(
      new GetCommand({ TableName: dynamo.tableName, Key: { PK: `USER#${uid}`, SK: `CONNECTOR#${id}` } }),
    )
  ).Item!;

const rejectsWith = async (p: Promise<unknown>, code: string) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
};

describe('connector store', () => {
  test('create, get, list, update, delete round trip', async () => {
    const created = await createConnector('u1', input());
    expect(created).toMatchObject({
      name: 'Prod',
      engine: 'postgres',
      host: 'db.example.com',
      hasPassword: true,
    });
    expect(created).not.toHaveProperty('password');
    expect(await getConnector('u1', created.id)).toEqual(created);
    expect((await listConnectors('u1')).map((c) => c.id)).toContain(created.id);

    const updated = await updateConnector('u1', created.id, {
      name: 'Renamed',
      port: 6543,
      password: PASSWORD,
    });
    expect(updated).toMatchObject({ id: created.id, name: 'Renamed', port: 6543, host: 'db.example.com' });
    expect(updated.createdAt).toBe(created.createdAt);
    expect(await getConnector('u1', created.id)).toEqual(updated);

    await deleteConnector('u1', created.id);
    await rejectsWith(getConnector('u1', created.id), 'NotFound');
    await rejectsWith(deleteConnector('u1', created.id), 'NotFound');
    await rejectsWith(updateConnector('u1', created.id, { name: 'x' }), 'NotFound');
  });

  test('the password is stored encrypted, returned only by getConnectionConfig', async () => {
    const c = await createConnector('u1', input());
    const item = await rawItem('u1', c.id);
    expect(JSON.stringify(item)).not.toContain(PASSWORD);
    expect(item.password).toMatchObject({ v: 1, alg: 'AES-256-GCM', kp: 'local' });
    expect(await getConnectionConfig('u1', c.id)).toEqual({
      host: 'db.example.com',
      port: 5432,
      database: 'shop',
      user: 'reader',
      password: PASSWORD,
      ssl: 'require',
    });
    expect(JSON.stringify(await getConnector('u1', c.id))).not.toContain(PASSWORD);
    expect(JSON.stringify(await listConnectors('u1'))).not.toContain(PASSWORD);
  });

  test('an update without password keeps it; a new one replaces it; null clears it', async () => {
    const c = await createConnector('u1', input());
    await updateConnector('u1', c.id, { database: 'other_db', ssl: 'verify-full', name: 'x' });
    expect((await getConnectionConfig('u1', c.id)).password).toBe(PASSWORD);

    const changed = await updateConnector('u1', c.id, { password: 'n3w-one' });
    expect(changed.hasPassword).toBe(true);
    expect((await getConnectionConfig('u1', c.id)).password).toBe('n3w-one');

    const cleared = await updateConnector('u1', c.id, { password: null });
    expect(cleared.hasPassword).toBe(false);
    expect(await getConnectionConfig('u1', c.id)).not.toHaveProperty('password');
    expect(await rawItem('u1', c.id)).not.toHaveProperty('password');
  });

  test('credentials follow the server: host, port or user changes need the password again', async () => {
    const c = await createConnector('u1', input());
    for (const change of [{ host: 'attacker.example.com' }, { port: 6000 }, { user: 'someone' }]) {
      const err = await rejectsWith(updateConnector('u1', c.id, change), 'IncorrectSignature');
      expect(err.details).toEqual({ field: 'password' });
      expect(err.message).toMatch(/give the password again/);
      const { name: _name, ...stored } = input();
      expect(await getConnectionConfig('u1', c.id)).toEqual(stored); // nothing changed
    }
    // The same values as stored are no change; a new password or clearing it carries the move.
    await updateConnector('u1', c.id, { host: 'db.example.com', port: 5432, user: 'reader' });
    await updateConnector('u1', c.id, { host: 'new.example.com', password: 'new-pass' });
    expect(await getConnectionConfig('u1', c.id)).toMatchObject({
      host: 'new.example.com',
      password: 'new-pass',
    });
    await updateConnector('u1', c.id, { user: 'u2', password: null });
    await updateConnector('u1', c.id, { host: 'third.example.com' }); // no password stored: nothing follows
    expect(await getConnector('u1', c.id)).toMatchObject({ host: 'third.example.com', hasPassword: false });
    await rejectsWith(updateConnector('u1', 'A'.repeat(26), { host: 'x.example.com' }), 'NotFound');
  });

  test('a connector without password', async () => {
    const c = await createConnector('u1', input({ password: null }));
    expect(c.hasPassword).toBe(false);
    expect(await getConnectionConfig('u1', c.id)).not.toHaveProperty('password');
  });

  test('users are isolated: another user gets NotFound everywhere and never sees the connector', async () => {
    const a = await createConnector('alice', input({ name: 'Alice db' }));
    const b = await createConnector('bob', input({ name: 'Bob db' }));
    await rejectsWith(getConnector('bob', a.id), 'NotFound');
    await rejectsWith(getConnectionConfig('bob', a.id), 'NotFound');
    await rejectsWith(updateConnector('bob', a.id, { name: 'stolen' }), 'NotFound');
    await rejectsWith(deleteConnector('bob', a.id), 'NotFound');
    expect((await listConnectors('alice')).map((c) => c.id)).toEqual([a.id]);
    expect((await listConnectors('bob')).map((c) => c.id)).toEqual([b.id]);
    // The failed update by bob changed nothing and created no item.
    expect((await getConnector('alice', a.id)).name).toBe('Alice db');
    expect(
      (
        await documentClient().send(
          new GetCommand({ TableName: dynamo.tableName, Key: { PK: 'USER#bob', SK: `CONNECTOR#${a.id}` } }),
        )
      ).Item,
    ).toBeUndefined();
  });

  test('ids that are not ids are NotFound, not errors', async () => {
    for (const id of ['', 'a#b', '../x', 'x'.repeat(65)]) {
      await rejectsWith(getConnector('u1', id), 'NotFound');
      await rejectsWith(deleteConnector('u1', id), 'NotFound');
    }
  });

  test("a ciphertext copied into another user's or another connector's item does not decrypt", async () => {
    const a = await createConnector('alice', input());
    const bob = await createConnector('bob', input({ password: 'bobs-own' }));
    const alice2 = await createConnector('alice', input({ password: 'alice-second' }));
    const sealed = (await rawItem('alice', a.id)).password;

    for (const [uid, id] of [
      ['bob', bob.id],
      ['alice', alice2.id],
    ] as const) {
      await documentClient().send(
        new UpdateCommand({
          TableName: dynamo.tableName,
          Key: { PK: `USER#${uid}`, SK: `CONNECTOR#${id}` },
          UpdateExpression: 'SET #p = :p',
          ExpressionAttributeNames: { '#p': 'password' },
          ExpressionAttributeValues: { ':p': sealed },
        }),
      );
      const err = await rejectsWith(getConnectionConfig(uid, id), 'Internal');
      expect(err.message).toMatch(/cannot be decrypted/);
      expect(err.message).not.toContain(PASSWORD);
    }
    // The original still decrypts.
    expect((await getConnectionConfig('alice', a.id)).password).toBe(PASSWORD);

    // An item moved whole under another user (same connector id) fails too.
    const item = await rawItem('alice', a.id);
    await documentClient().send(
      new PutCommand({ TableName: dynamo.tableName, Item: { ...item, PK: 'USER#mallory' } }),
    );
    await rejectsWith(getConnectionConfig('mallory', a.id), 'Internal');
  });

  test('a tampered ciphertext does not decrypt', async () => {
    const c = await createConnector('u1', input());
    const item = await rawItem('u1', c.id);
    const ct = Buffer.from(item.password.ct, 'base64');
    ct[0] = ct[0]! ^ 1;
    await documentClient().send(
      new PutCommand({
        TableName: dynamo.tableName,
        Item: { ...item, password: { ...item.password, ct: ct.toString('base64') } },
      }),
    );
    await rejectsWith(getConnectionConfig('u1', c.id), 'Internal');
  });

  describe('sample connector', () => {
    afterEach(() => {
      delete process.env.SEMAIA_SAMPLE_PG_URL;
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    });

    test('absent without samplePgUrl', async () => {
      expect((await listConnectors('u-sample')).map((c) => c.id)).not.toContain('sample');
      await rejectsWith(getConnector('u-sample', 'sample'), 'NotFound');
      await rejectsWith(getConnectionConfig('u-sample', 'sample'), 'NotFound');
      await rejectsWith(deleteConnector('u-sample', 'sample'), 'NotFound');
    });

    test('every user sees it first, it is read-only, and it resolves to the URL', async () => {
      process.env.SEMAIA_SAMPLE_PG_URL = 'postgres://semaia:pw-sample@127.0.0.1:54329/sample';
      const own = await createConnector('u-sample', input());
      const list = await listConnectors('u-sample');
      expect(list.map((c) => c.id)).toEqual(['sample', own.id]);
      expect(list[0]).toMatchObject({
        name: 'Sample database',
        hasPassword: true,
        host: '127.0.0.1',
        port: 54329,
      });
      expect(JSON.stringify(list)).not.toContain('pw-sample');
      expect((await listConnectors('someone-else'))[0]!.id).toBe('sample');
      expect(await getConnector('u-sample', 'sample')).toEqual(list[0]);
      expect(await getConnectionConfig('u-sample', 'sample')).toEqual({
        host: '127.0.0.1',
        port: 54329,
        database: 'sample',
        user: 'semaia',
        password: 'pw-sample',
        ssl: 'disable',
      });
      const err = await rejectsWith(
        updateConnector('u-sample', 'sample', { name: 'x' }),
        'IncorrectSignature',
      );
      expect(err.message).toBe('The sample connector is read-only');
      await rejectsWith(deleteConnector('u-sample', 'sample'), 'IncorrectSignature');
    });

    test('does not exist in Lambda even when the variable is set', async () => {
      process.env.SEMAIA_SAMPLE_PG_URL = 'postgres://semaia:pw@127.0.0.1:54329/sample';
      process.env.AWS_LAMBDA_FUNCTION_NAME = 'semaia-test';
      // (listing would need the real AWS endpoint rules; the sample lookup itself is what matters here)
      await rejectsWith(getConnector('u-sample', 'sample'), 'NotFound');
    });
  });
});
