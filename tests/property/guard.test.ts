/**
 * The outbound network guard on generated addresses and hosts: under the `public` policy no loopback,
 * private, link-local, unspecified or IPv4-mapped/NAT64/6to4 form of those is ever accepted, whatever way
 * the literal is written; host strings carrying URL or socket syntax are always refused.
 */
import fc from 'fast-check';
import { isIP } from 'node:net';
import { AppError } from '../../lib/errors.js';
import { checkHostSyntax, isAddressAllowed, resolveAllowedAddress } from '../../lib/net/guard.js';

const byte = fc.integer({ min: 0, max: 255 });
const v4 = (a: number, b: number, c: number, d: number) => `${a}.${b}.${c}.${d}`;

/** IPv4 addresses in every non-public range that matters for SSRF. */
const internalV4 = fc.oneof(
  fc.tuple(byte, byte, byte).map(([b, c, d]) => v4(127, b, c, d)), // loopback
  fc.tuple(byte, byte, byte).map(([b, c, d]) => v4(10, b, c, d)),
  fc.tuple(fc.integer({ min: 16, max: 31 }), byte, byte).map(([b, c, d]) => v4(172, b, c, d)),
  fc.tuple(byte, byte).map(([c, d]) => v4(192, 168, c, d)),
  fc.tuple(fc.integer({ min: 64, max: 127 }), byte, byte).map(([b, c, d]) => v4(100, b, c, d)), // CGNAT
  fc.tuple(byte, byte).map(([c, d]) => v4(169, 254, c, d)), // link-local, cloud metadata
  fc.tuple(byte, byte, byte).map(([b, c, d]) => v4(0, b, c, d)),
  fc.constantFrom('169.254.169.254', '127.0.0.1', '0.0.0.0', '255.255.255.255'),
);

const hex16 = fc.integer({ min: 0, max: 0xffff });
const groups = (n: number) => fc.array(hex16, { minLength: n, maxLength: n });
/** The generators must produce real IP literals: a refused non-address would prove nothing. */
const expectIpLiteral = (ip: string) => expect(isIP(ip.replace(/^\[(.*)\]$/, '$1'))).not.toBe(0);

const toInt = (ip: string) => ip.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
const hi = (ip: string) => Math.floor(toInt(ip) / 65536);
const lo = (ip: string) => toInt(ip) % 65536;

/** Writes 8 groups in a random but valid IPv6 notation (compressed or not, padded or not, any case). */
const writeV6 = (gs: number[]) =>
  fc
    .record({ pad: fc.boolean(), upper: fc.boolean(), compress: fc.boolean() })
    .map(({ pad, upper, compress }) => {
      let parts = gs.map((g) => (pad ? g.toString(16).padStart(4, '0') : g.toString(16)));
      let text = parts.join(':');
      if (compress) {
        // Compress the longest run of zero groups, as RFC 5952 does.
        let best = [-1, 0];
        for (let i = 0; i < gs.length;) {
          let j = i;
          while (j < gs.length && gs[j] === 0) j++;
          if (j - i > best[1]!) best = [i, j - i];
          i = j === i ? i + 1 : j;
        }
        if (best[1]! >= 1) {
          parts = [...parts.slice(0, best[0]), '', ...parts.slice(best[0]! + best[1]!)];
          text = parts.join(':');
          if (best[0] === 0) text = ':' + text;
          if (best[0]! + best[1]! === gs.length) text += ':';
        }
      }
      return upper ? text.toUpperCase() : text;
    });

/** IPv6 addresses that are internal, or that carry an internal IPv4 address inside them. */
const internalV6 = fc.oneof(
  fc.constantFrom('::1', '::', '0:0:0:0:0:0:0:1', '[::1]', 'fd00:ec2::254', '::ffff:169.254.169.254'),
  groups(8).chain((g) => writeV6([0xfc00 | (g[0]! & 0x1ff), ...g.slice(1)])), // fc00::/7 unique local
  groups(8).chain((g) => writeV6([0xfe80 | (g[0]! & 0x3f), ...g.slice(1)])), // fe80::/10 link-local
  internalV4.chain((ip) =>
    fc.oneof(
      fc.constant(`::ffff:${ip}`), // IPv4-mapped, dotted
      fc.constant(`::FFFF:${ip}`),
      fc.constant(`0:0:0:0:0:ffff:${ip}`),
      fc.constant(`[::ffff:${ip}]`),
      writeV6([0, 0, 0, 0, 0, 0xffff, hi(ip), lo(ip)]), // IPv4-mapped, hex groups
      writeV6([0x64, 0xff9b, 0, 0, 0, 0, hi(ip), lo(ip)]), // NAT64 well-known prefix
      fc.constant(`64:ff9b::${ip}`),
      groups(5).chain((g) => writeV6([0x2002, hi(ip), lo(ip), ...g])), // 6to4
    ),
  ),
);

describe('network guard on generated addresses', () => {
  it('never accepts an internal IPv4 address under `public`', () => {
    fc.assert(
      fc.property(internalV4, (ip) => {
        expectIpLiteral(ip);
        expect(isAddressAllowed(ip, 'public')).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });

  it('never accepts an internal IPv6 address, or an IPv6 form of an internal IPv4 address, under `public`', () => {
    fc.assert(
      fc.property(internalV6, (ip) => {
        expectIpLiteral(ip);
        expect(isAddressAllowed(ip, 'public')).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });

  it('resolving a name to any such address is refused with HostNotAllowed (DNS answer generated)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          internalV4,
          internalV6.map((s) => s.replace(/^\[|\]$/g, '')),
        ),
        async (ip) => {
          const lookup = async () => [{ address: ip, family: ip.includes(':') ? 6 : 4 }];
          await expect(resolveAllowedAddress('db.example.com', 'public', { lookup })).rejects.toMatchObject({
            code: 'HostNotAllowed',
          });
          // The literal itself, as a host, is refused too.
          await expect(resolveAllowedAddress(ip, 'public', { lookup })).rejects.toMatchObject({
            code: 'HostNotAllowed',
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('still accepts public addresses (so the refusals above are not a guard that refuses everything)', () => {
    const publicV4 = fc.constantFrom('8.8.8.8', '1.1.1.1', '93.184.216.34', '52.95.110.1', '151.101.1.69');
    const publicV6 = fc.constantFrom(
      '2606:4700:4700::1111',
      '2a00:1450:4001:80b::200e',
      '2001:4860:4860::8888',
    );
    fc.assert(
      fc.property(fc.oneof(publicV4, publicV6), (ip) => {
        expectIpLiteral(ip);
        expect(isAddressAllowed(ip, 'public')).toBe(true);
      }),
    );
  });

  it('never accepts a host containing / # @ ? \\ (or starting with /)', () => {
    const forbidden = fc.constantFrom('/', '#', '@', '?', '\\');
    const hostPart = fc.stringMatching(/^[a-z0-9.:[\]-]{0,20}$/);
    fc.assert(
      fc.property(hostPart, forbidden, hostPart, (a, c, b) => {
        const host = a + c + b;
        let error: unknown;
        try {
          checkHostSyntax(host);
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe('HostNotAllowed');
      }),
      { numRuns: 2000 },
    );
  });

  it('on arbitrary host strings, throws nothing but HostNotAllowed', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (host) => {
        try {
          checkHostSyntax(host);
        } catch (err) {
          expect(err).toBeInstanceOf(AppError);
          expect((err as AppError).code).toBe('HostNotAllowed');
        }
      }),
      { numRuns: 1000 },
    );
  });
});
