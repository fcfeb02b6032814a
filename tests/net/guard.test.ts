import { statusOf } from '../../lib/http/errors.js';
import { createServer, type Server } from 'node:net';
import fc from 'fast-check';
import { AppError } from '../../lib/errors.js';
import {
  checkHostSyntax,
  classifyAddress,
  isAddressAllowed,
  parsePolicy,
  resolveAllowedAddress,
  type LookupFn,
} from '../../lib/net/guard.js';
import { runReadOnlyQuery } from '../../lib/postgres/query.js';

async function refusedWith(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

const noDns: LookupFn = async (host) => {
  throw new Error(`unexpected DNS lookup of ${host}`);
};

describe('host syntax', () => {
  it.each([
    '/tmp',
    '/var/run/postgresql',
    'db#evil.example',
    'user@host',
    'a/b',
    'x?y',
    'a\\b',
    'a b',
    'tab\there',
    '',
    '[127.0.0.1]',
    '[::1',
    'a:b',
  ])('refuses %j', (host) => {
    expect(() => checkHostSyntax(host)).toThrow(AppError);
    try {
      checkHostSyntax(host);
    } catch (e) {
      expect((e as AppError).code).toBe('HostNotAllowed');
      expect(statusOf(e as AppError)).toBe(400);
    }
  });

  it('accepts names and IP literals, strips IPv6 brackets', () => {
    expect(checkHostSyntax('db.example.com')).toBe('db.example.com');
    expect(checkHostSyntax('10.0.0.1')).toBe('10.0.0.1');
    expect(checkHostSyntax('[2001:db8::1]')).toBe('2001:db8::1');
    expect(checkHostSyntax('::1')).toBe('::1');
  });
});

describe('address policy', () => {
  const refusedUnderPublic = [
    '127.0.0.1',
    '127.1.2.3',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '100.64.0.1',
    '169.254.169.254',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '::ffff:0:127.0.0.1', // IPv4-translated (SIIT) form of 127.0.0.1
    '::ffff:0:7f00:1',
    '::ffff:0:10.0.0.1',
    '::ffff:0:169.254.169.254',
    '64:ff9b::7f00:1', // NAT64 form of 127.0.0.1
    '2002:7f00:1::', // 6to4 form of 127.0.0.1
    'fc00::1',
    'fd12:3456::1',
    'fd00:ec2::254',
    'fe80::1',
    'ff02::1',
  ];
  it.each(refusedUnderPublic)('public refuses %s', (ip) => {
    expect(isAddressAllowed(ip, 'public')).toBe(false);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '::ffff:0:8.8.8.8',
    '64:ff9b::808:808',
  ])('public allows %s', (ip) => {
    expect(isAddressAllowed(ip, 'public')).toBe(true);
  });

  it('any allows loopback and private but never metadata, unspecified or multicast', () => {
    for (const ip of [
      '127.0.0.1',
      '10.0.0.1',
      '192.168.0.10',
      '::1',
      '::ffff:127.0.0.1',
      'fd12::1',
      '8.8.8.8',
    ]) {
      expect([ip, isAddressAllowed(ip, 'any')]).toEqual([ip, true]);
    }
    for (const ip of [
      '169.254.169.254',
      '::ffff:169.254.169.254',
      'fe80::1',
      'fd00:ec2::254',
      '0.0.0.0',
      '::',
      '224.0.0.1',
    ]) {
      expect([ip, isAddressAllowed(ip, 'any')]).toEqual([ip, false]);
    }
  });

  it('a CIDR list allows public addresses and the listed networks only', () => {
    const policy = '10.1.0.0/16, fd00:1::/32';
    expect(isAddressAllowed('10.1.2.3', policy)).toBe(true);
    expect(isAddressAllowed('::ffff:10.1.2.3', policy)).toBe(true);
    expect(isAddressAllowed('fd00:1::5', policy)).toBe(true);
    expect(isAddressAllowed('10.2.0.1', policy)).toBe(false);
    expect(isAddressAllowed('127.0.0.1', policy)).toBe(false);
    expect(isAddressAllowed('8.8.8.8', policy)).toBe(true);
    expect(isAddressAllowed('169.254.169.254', policy)).toBe(false);
  });

  it('metadata addresses need a CIDR inside the link-local range, a catch-all is not enough', () => {
    expect(isAddressAllowed('169.254.169.254', '169.254.169.254/32')).toBe(true);
    expect(isAddressAllowed('169.254.169.254', '169.254.0.0/16')).toBe(true);
    expect(isAddressAllowed('169.254.169.254', '0.0.0.0/0')).toBe(false);
    expect(isAddressAllowed('10.0.0.1', '0.0.0.0/0')).toBe(true);
    expect(isAddressAllowed('fd00:ec2::254', 'fc00::/7')).toBe(false);
    expect(isAddressAllowed('fd00:ec2::254', 'fd00:ec2::254/128')).toBe(true);
  });

  it('rejects a malformed policy as a configuration error', () => {
    expect(() => parsePolicy('10.0.0.0/33')).toThrow(/CONNECTOR_ALLOWED_NETWORKS/);
    expect(() => parsePolicy('private')).toThrow(/CONNECTOR_ALLOWED_NETWORKS/);
  });

  it('classifies', () => {
    expect(classifyAddress('127.0.0.1')).toBe('loopback');
    expect(classifyAddress('::ffff:7f00:1')).toBe('loopback');
    expect(classifyAddress('::ffff:0:127.0.0.1')).toBe('loopback');
    expect(classifyAddress('::ffff:0:c0a8:101')).toBe('private');
    expect(classifyAddress('169.254.169.254')).toBe('link-local');
    expect(classifyAddress('100.64.1.1')).toBe('private');
    expect(classifyAddress('93.184.216.34')).toBe('public');
  });

  it('an IPv4-mapped IPv6 address is judged exactly like its IPv4 address (property)', () => {
    const policies = ['public', 'any', '10.0.0.0/8,169.254.169.254/32', '192.168.0.0/24'];
    fc.assert(
      fc.property(fc.ipV4(), fc.constantFrom(...policies), (v4, policy) => {
        const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
        const hex = `::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
        const expected = isAddressAllowed(v4, policy);
        return (
          isAddressAllowed(`::ffff:${v4}`, policy) === expected && isAddressAllowed(hex, policy) === expected
        );
      }),
      { numRuns: 500 },
    );
  });
});

describe('resolveAllowedAddress', () => {
  it.each([
    ['127.0.0.1'],
    ['localhost'],
    ['169.254.169.254'],
    ['10.0.0.1'],
    ['[::ffff:127.0.0.1]'],
    ['::ffff:127.0.0.1'],
    ['/tmp'],
    ['db#evil.example'],
  ])('refuses %s under public', async (host) => {
    const err = await refusedWith(resolveAllowedAddress(host, 'public'));
    expect(err.code).toBe('HostNotAllowed');
    expect(statusOf(err)).toBe(400);
  });

  it('says why, never where: the class of address, not the address', async () => {
    const literal = await refusedWith(resolveAllowedAddress('169.254.169.254', 'public'));
    expect(literal.message).toBe(
      'The host is a cloud metadata address; this server does not allow connections to it (CONNECTOR_ALLOWED_NETWORKS)',
    );
    expect(literal.details).toEqual({ category: 'metadata' });
    const cases: [string, string, string][] = [
      ['169.254.169.254', 'metadata', 'a cloud metadata address'],
      ['fd00:ec2::254', 'metadata', 'a cloud metadata address'],
      ['169.254.1.1', 'link-local', 'a link-local address'],
      ['10.0.0.5', 'private', 'a private address'],
      ['::ffff:0:127.0.0.1', 'loopback', 'a loopback address'],
      ['224.0.0.1', 'multicast', 'a multicast address'],
    ];
    for (const [address, category, words] of cases) {
      const lookup: LookupFn = async () => [{ address, family: address.includes(':') ? 6 : 4 }];
      const err = await refusedWith(resolveAllowedAddress('innocent.example', 'public', { lookup }));
      expect(err.message).toBe(
        `Host "innocent.example" resolves to ${words}; this server does not allow connections to it (CONNECTOR_ALLOWED_NETWORKS)`,
      );
      expect(err.details).toEqual({ category });
      expect(err.message).not.toContain(address);
    }
  });

  it('refuses a name when any of its addresses is refused (no mixing public and private records)', async () => {
    const lookup: LookupFn = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ];
    const err = await refusedWith(resolveAllowedAddress('mixed.example', 'public', { lookup }));
    expect(err.code).toBe('HostNotAllowed');
    expect(err.message).toContain('resolves to a private address');
    expect(err.message).not.toContain('10.0.0.5');
  });

  it('returns the vetted address of an allowed name, and the IPv4 form of a mapped address', async () => {
    const lookup: LookupFn = async () => [
      { address: '::ffff:93.184.216.34', family: 6 },
      { address: '2606:2800:220:1::1', family: 6 },
    ];
    await expect(resolveAllowedAddress('db.example', 'public', { lookup })).resolves.toEqual({
      address: '93.184.216.34',
      family: 4,
    });
    await expect(resolveAllowedAddress('::ffff:127.0.0.1', 'any', { lookup: noDns })).resolves.toEqual({
      address: '127.0.0.1',
      family: 4,
    });
    await expect(resolveAllowedAddress('localhost', 'any')).resolves.toMatchObject({
      address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/),
    });
  });

  it('turns a failed lookup into a clear ConnectorError', async () => {
    const lookup: LookupFn = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nope.invalid'), { code: 'ENOTFOUND' });
    };
    const err = await refusedWith(resolveAllowedAddress('nope.invalid', 'public', { lookup }));
    expect(err.code).toBe('ConnectorError');
    expect(err.details).toEqual({ reason: 'unreachable' });
  });
});

describe('no packet reaches a refused address', () => {
  let server: Server;
  let port = 0;
  let connections = 0;
  beforeAll(async () => {
    server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it.each(['127.0.0.1', 'localhost', '::ffff:127.0.0.1', '[::ffff:7f00:1]'])(
    'a connector to %s under public is refused before connecting',
    async (host) => {
      const conn = {
        host,
        port,
        database: 'postgres',
        user: 'postgres',
        password: 'x',
        ssl: 'disable' as const,
      };
      const err = await refusedWith(runReadOnlyQuery(conn, 'SELECT 1', { policy: 'public' }));
      expect(err.code).toBe('HostNotAllowed');
      expect(connections).toBe(0);
    },
  );

  it('the same listener does receive a connection when the policy allows it (the check above can fail)', async () => {
    const conn = { host: '127.0.0.1', port, database: 'postgres', user: 'postgres', ssl: 'disable' as const };
    const err = await refusedWith(runReadOnlyQuery(conn, 'SELECT 1', { policy: 'any' }));
    expect(err.code).toBe('ConnectorError');
    expect(connections).toBe(1);
  });
});
