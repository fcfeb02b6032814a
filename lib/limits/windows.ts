/**
 * The time windows of the counted limits, in UTC: the clock minute of the SQL request rate and the day of
 * the model-token budget. A window's label is part of its counter's key, so a new window starts a new
 * counter and the old one expires by TTL. Pure.
 */

export interface Window {
  /** `YYYY-MM-DDTHH:MM` for a minute, `YYYY-MM-DD` for a day. */
  label: string;
  startMs: number;
  /** Exclusive: the next window starts here. */
  endMs: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export function minuteWindow(now: number): Window {
  const startMs = Math.floor(now / MINUTE_MS) * MINUTE_MS;
  return { label: new Date(startMs).toISOString().slice(0, 16), startMs, endMs: startMs + MINUTE_MS };
}

export function dayWindow(now: number): Window {
  const startMs = Math.floor(now / DAY_MS) * DAY_MS;
  return { label: new Date(startMs).toISOString().slice(0, 10), startMs, endMs: startMs + DAY_MS };
}

/** Whole seconds from `now` until `atMs`, at least 1 (a Retry-After of 0 invites a busy loop). */
export const secondsUntil = (atMs: number, now: number): number =>
  Math.max(1, Math.ceil((atMs - now) / 1000));
