import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A realistic event from tests/events (a fresh copy each time, so tests may change it). */
export function loadEvent<T = Record<string, any>>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, '..', 'events', name), 'utf8')) as T;
}
