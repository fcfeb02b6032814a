/**
 * Outbound network guard for user-named database hosts (SSRF defence).
 *
 * The host is checked for syntax, resolved ONCE, and every address it resolves to must be allowed by the policy;
 * the caller then connects to the vetted address (never to the name again), so DNS rebinding cannot switch it.
 *
 * Policy (`CONNECTOR_ALLOWED_NETWORKS`):
 * - `public`: public unicast addresses only (default in Lambda);
 * - `any`: also loopback and private networks (default locally);
 * - a comma-separated CIDR list: public addresses plus those in the listed networks.
 * Link-local (cloud metadata), unspecified, multicast and reserved addresses are refused under every policy,
 * unless a listed CIDR names them explicitly: the CIDR must lie inside that special range (listing
 * `169.254.169.254/32` allows it; `0.0.0.0/0` does not unlock it).
 */
import { BlockList } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';
import { AppError } from '../errors.js';
import { config } from '../config.js';
import { embeddedIpv4, formatIp, mappedIpv4, parseIp, type Family, type ParsedIp } from './ip.js';

export type AddressCategory =
  'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'reserved';

/**
 * Cloud metadata endpoints (AWS, GCP, Azure share 169.254.169.254; ECS task metadata; AWS over IPv6). The
 * policy treats them as the link-local addresses they are; refusals name them for what they are.
 */
const METADATA = new Set(['169.254.169.254', '169.254.170.2', 'fd00:ec2:0:0:0:0:0:254']);

interface Range {
  cidr: string;
  category: Exclude<AddressCategory, 'public'>;
}

/** Non-public ranges. IPv4-mapped, NAT64 and 6to4 IPv6 addresses are judged by the IPv4 address inside them. */
const RANGES: Range[] = [
  { cidr: '0.0.0.0/8', category: 'unspecified' }, // "this network"; 0.0.0.0 reaches the local host on Linux
  { cidr: '10.0.0.0/8', category: 'private' },
  { cidr: '100.64.0.0/10', category: 'private' }, // carrier-grade NAT
  { cidr: '127.0.0.0/8', category: 'loopback' },
  { cidr: '169.254.0.0/16', category: 'link-local' }, // cloud metadata lives here
  { cidr: '172.16.0.0/12', category: 'private' },
  { cidr: '192.0.0.0/24', category: 'reserved' },
  { cidr: '192.0.2.0/24', category: 'reserved' },
  { cidr: '192.88.99.0/24', category: 'reserved' },
  { cidr: '192.168.0.0/16', category: 'private' },
  { cidr: '198.18.0.0/15', category: 'reserved' },
  { cidr: '198.51.100.0/24', category: 'reserved' },
  { cidr: '203.0.113.0/24', category: 'reserved' },
  { cidr: '224.0.0.0/4', category: 'multicast' },
  { cidr: '240.0.0.0/4', category: 'reserved' }, // includes the broadcast address
  { cidr: '::/128', category: 'unspecified' },
  { cidr: '::1/128', category: 'loopback' },
  { cidr: '::/96', category: 'reserved' }, // deprecated IPv4-compatible addresses
  { cidr: '64:ff9b:1::/48', category: 'private' }, // local-use NAT64
  { cidr: '100::/64', category: 'reserved' }, // discard-only
  { cidr: '2001::/23', category: 'reserved' }, // IETF protocol assignments, incl. Teredo
  { cidr: '2001:db8::/32', category: 'reserved' },
  { cidr: '3fff::/20', category: 'reserved' },
  { cidr: 'fd00:ec2::254/128', category: 'link-local' }, // AWS metadata over IPv6 (inside fc00::/7)
  { cidr: 'fc00::/7', category: 'private' },
  { cidr: 'fe80::/10', category: 'link-local' },
  { cidr: 'fec0::/10', category: 'reserved' },
  { cidr: 'ff00::/8', category: 'multicast' },
];

interface Cidr {
  family: Family;
  network: string;
  bits: number;
  list: BlockList;
}

function parseCidr(text: string): Cidr | undefined {
  const [addr, bitsText, extra] = text.trim().split('/');
  if (addr === undefined || extra !== undefined) return undefined;
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const max = ip.family === 4 ? 32 : 128;
  const bits = bitsText === undefined ? max : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
  if (!(bits >= 0 && bits <= max)) return undefined;
  const type = ip.family === 4 ? 'ipv4' : 'ipv6';
  const network = formatIp(ip);
  const list = new BlockList();
  list.addSubnet(network, bits, type);
  return { family: ip.family, network, bits, list };
}

const contains = (cidr: Cidr, ip: ParsedIp): boolean =>
  cidr.family === ip.family && cidr.list.check(formatIp(ip), ip.family === 4 ? 'ipv4' : 'ipv6');

let compiledRanges: (Cidr & { category: Range['category'] })[] | undefined;

/** Most specific first, so fd00:ec2::254 is link-local although fc00::/7 is private. */
function ranges() {
  compiledRanges ??= RANGES.map((r) => ({ ...parseCidr(r.cidr)!, category: r.category })).sort(
    (a, b) => b.bits - a.bits,
  );
  return compiledRanges;
}

/** The address the OS really connects to: an IPv4-mapped IPv6 address is its IPv4 address. */
function effectiveIp(ip: ParsedIp): ParsedIp {
  const v4 = embeddedIpv4(ip);
  return v4 !== undefined ? { family: 4, value: v4 } : ip;
}

/** Category of an address and the special range it falls in (undefined for public addresses). */
function classify(ip: ParsedIp): { category: AddressCategory; range?: Cidr } {
  const target = effectiveIp(ip);
  const range = ranges().find((r) => contains(r, target));
  return range ? { category: range.category, range } : { category: 'public' };
}

/** The category of an IP literal ('reserved' for something that is not an IP address). */
export function classifyAddress(ip: string): AddressCategory {
  const parsed = parseIp(ip);
  return parsed ? classify(parsed).category : 'reserved';
}

export type Policy = { kind: 'public' } | { kind: 'any' } | { kind: 'cidrs'; cidrs: Cidr[] };

/** Parses the policy text; a malformed policy is a server misconfiguration (plain Error → 500, logged). */
export function parsePolicy(text: string): Policy {
  const t = text.trim().toLowerCase();
  if (t === '' || t === 'public') return { kind: 'public' };
  if (t === 'any') return { kind: 'any' };
  const cidrs = t
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '' && part !== 'public')
    .map((part) => {
      const cidr = parseCidr(part);
      if (!cidr) throw new Error(`CONNECTOR_ALLOWED_NETWORKS: "${part}" is not public, any, or a CIDR`);
      return cidr;
    });
  return { kind: 'cidrs', cidrs };
}

/** Pure check of one IP literal against a policy (text or parsed). Not an IP literal → false. */
export function isAddressAllowed(
  ip: string,
  policy: string | Policy = config.connectorAllowedNetworks,
): boolean {
  const parsed = parseIp(ip);
  if (!parsed) return false;
  const p = typeof policy === 'string' ? parsePolicy(policy) : policy;
  const { category, range } = classify(parsed);
  if (category === 'public') return true;
  if (p.kind === 'public') return false;
  if (p.kind === 'any') return category === 'loopback' || category === 'private';
  const target = effectiveIp(parsed);
  return p.cidrs.some(
    (cidr) =>
      contains(cidr, target) &&
      (category === 'loopback' || category === 'private' || cidr.bits >= (range?.bits ?? 0)),
  );
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const FORBIDDEN_HOST_CHARS = /[/#@?\\%\s\u0000-\u001f\u007f]/;

/**
 * Refuses host strings node-postgres or the resolver could misread: a leading `/` is a Unix socket path to
 * node-postgres; `/ # @ ? \` smuggle URL parts; whitespace and control characters have no place in a host.
 * Returns the host without IPv6 brackets.
 */
export function checkHostSyntax(host: string): string {
  const refuse = (why: string) =>
    new AppError('HostNotAllowed', `Host "${host.slice(0, 100)}" is not allowed: ${why}`);
  if (host.length === 0) throw refuse('it is empty');
  if (host.length > 253) throw refuse('it is too long');
  if (host.startsWith('/')) throw refuse('socket paths are not allowed');
  if (FORBIDDEN_HOST_CHARS.test(host))
    throw refuse('it contains a character that is not allowed in a host name');
  if (host.startsWith('[') || host.endsWith(']')) {
    const inner = host.slice(1, -1);
    if (!(host.startsWith('[') && host.endsWith(']')) || parseIp(inner)?.family !== 6) {
      throw refuse('brackets are only allowed around an IPv6 address');
    }
    return inner;
  }
  if (host.includes(':') && parseIp(host)?.family !== 6)
    throw refuse('it is not a valid host name or IP address');
  return host;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type LookupFn = (host: string) => Promise<{ address: string; family: number }[]>;

const defaultLookup: LookupFn = (host) => dnsLookup(host, { all: true, verbatim: true });

const DNS_TIMEOUT_MS = 5_000;

/**
 * Says why, never where: the class of the address, not the address (what a name resolves to from inside our
 * network is not the caller's to learn).
 */
function refusal(host: string, ip: ParsedIp, literal: boolean): AppError {
  const { category } = classify(ip);
  const metadata = METADATA.has(formatIp(effectiveIp(ip)));
  const what = metadata
    ? 'a cloud metadata address'
    : category === 'public'
      ? 'an address'
      : `a ${category} address`;
  const subject = literal ? 'The host is' : `Host "${host}" resolves to`;
  return new AppError(
    'HostNotAllowed',
    `${subject} ${what}; this server does not allow connections to it (CONNECTOR_ALLOWED_NETWORKS)`,
    { category: metadata ? 'metadata' : category },
  );
}

/**
 * Resolves a user-named host once and returns the address to connect to. Throws HostNotAllowed when the host is
 * malformed or ANY of its addresses is refused (a name mixing public and private records is refused), and
 * ConnectorError when the name does not resolve.
 */
export async function resolveAllowedAddress(
  host: string,
  policy: string = config.connectorAllowedNetworks,
  options: { lookup?: LookupFn } = {},
): Promise<ResolvedAddress> {
  const name = checkHostSyntax(host);
  const p = parsePolicy(policy);
  const literal = parseIp(name);
  if (literal) {
    if (!isAddressAllowed(name, p)) throw refusal(name, literal, true);
    const v4 = mappedIpv4(literal);
    return v4 ? { address: v4, family: 4 } : { address: name, family: literal.family };
  }
  if (!/^[a-z0-9._-]+$/i.test(name) || name.includes('..')) {
    throw new AppError('HostNotAllowed', `Host "${host.slice(0, 100)}" is not a valid host name`);
  }
  const lookup = options.lookup ?? defaultLookup;
  let timer: NodeJS.Timeout | undefined;
  let addresses: { address: string; family: number }[];
  try {
    addresses = await Promise.race([
      lookup(name),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new AppError('ConnectorError', `Looking up host "${name}" timed out`, { reason: 'timeout' }),
            ),
          DNS_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('ConnectorError', `Host "${name}" was not found (DNS lookup failed)`, {
      reason: 'unreachable',
    });
  } finally {
    clearTimeout(timer);
  }
  if (addresses.length === 0) {
    throw new AppError('ConnectorError', `Host "${name}" has no addresses`, { reason: 'unreachable' });
  }
  for (const { address } of addresses) {
    const ip = parseIp(address);
    if (!ip || !isAddressAllowed(address, p)) throw refusal(name, ip ?? { family: 4, value: 0n }, false);
  }
  const first = addresses[0]!;
  const v4 = mappedIpv4(parseIp(first.address)!);
  return v4 ? { address: v4, family: 4 } : { address: first.address, family: first.family === 6 ? 6 : 4 };
}
