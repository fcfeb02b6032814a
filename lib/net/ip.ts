/**
 * Pure IP address parsing: literals to numbers and back, and the IPv4 address hidden inside some IPv6 forms
 * (IPv4-mapped, IPv4-translated, NAT64, 6to4), so the guard judges `::ffff:7f00:1` as the 127.0.0.1 it really is.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type Family = 4 | 6;

export interface ParsedIp {
  family: Family;
  /** The address as an unsigned integer (32 or 128 bits). */
  value: bigint;
}

/** Parses an IP literal (IPv6 may be wrapped in brackets; zone ids are not accepted); undefined if not one. */
export function parseIp(text: string): ParsedIp | undefined {
  const s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIPv4(s)) return { family: 4, value: ipv4ToBigInt(s) };
  if (isIPv6(s) && !s.includes('%')) return { family: 6, value: ipv6ToBigInt(s) };
  return undefined;
}

function ipv4ToBigInt(s: string): bigint {
  return s.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6ToBigInt(s: string): bigint {
  let text = s.toLowerCase();
  // A trailing dotted quad stands for the last two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4ToBigInt(dotted[1]!);
    text =
      text.slice(0, -dotted[1]!.length) +
      ((v4 >> 16n) & 0xffffn).toString(16) +
      ':' +
      (v4 & 0xffffn).toString(16);
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups =
    tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => ((value >> shift) & 0xffn).toString()).join('.');
}

export function formatIpv6(value: bigint): string {
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((value >> shift) & 0xffffn).toString(16));
  return groups.join(':');
}

export const formatIp = (ip: ParsedIp): string =>
  ip.family === 4 ? formatIpv4(ip.value) : formatIpv6(ip.value);

const inPrefix = (value: bigint, prefix: bigint, bits: number): boolean =>
  value >> BigInt(128 - bits) === prefix >> BigInt(128 - bits);

/**
 * The IPv4 address an IPv6 address stands for, if it has one:
 * `::ffff:0:0/96` (IPv4-mapped: the OS connects to the IPv4 address), `::ffff:0:0:0/96` (IPv4-translated,
 * RFC 2765), `64:ff9b::/96` (NAT64 well-known prefix), `2002::/16` (6to4, the IPv4 address in bits 16–47).
 */
export function embeddedIpv4(ip: ParsedIp): bigint | undefined {
  if (ip.family !== 6) return undefined;
  const v = ip.value;
  if (inPrefix(v, 0xffffn << 32n, 96)) return v & 0xffffffffn;
  if (inPrefix(v, 0xffffn << 48n, 96)) return v & 0xffffffffn;
  if (inPrefix(v, 0x0064ff9bn << 96n, 96)) return v & 0xffffffffn;
  if (inPrefix(v, 0x2002n << 112n, 16)) return (v >> 80n) & 0xffffffffn;
  return undefined;
}

/** The IPv4 address of an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), which the OS connects to over IPv4. */
export function mappedIpv4(ip: ParsedIp): string | undefined {
  return ip.family === 6 && inPrefix(ip.value, 0xffffn << 32n, 96)
    ? formatIpv4(ip.value & 0xffffffffn)
    : undefined;
}
