/** The UTC windows of the counted limits (pure). */
import fc from 'fast-check';
import { dayWindow, minuteWindow, secondsUntil } from '../../lib/limits/windows.js';

describe('limit windows', () => {
  it('a minute is a UTC clock minute, labelled by its start', () => {
    const now = Date.parse('2026-12-01T10:07:59.999Z');
    expect(minuteWindow(now)).toEqual({
      label: '2026-12-01T10:07',
      startMs: Date.parse('2026-12-01T10:07:00Z'),
      endMs: Date.parse('2026-12-01T10:08:00Z'),
    });
    expect(minuteWindow(now + 1).label).toBe('2026-12-01T10:08');
  });

  it('a day is a UTC day, whatever the local time zone', () => {
    const now = Date.parse('2026-12-31T23:59:59.500Z');
    expect(dayWindow(now)).toEqual({
      label: '2026-12-31',
      startMs: Date.parse('2026-12-31T00:00:00Z'),
      endMs: Date.parse('2027-01-01T00:00:00Z'),
    });
    expect(dayWindow(now + 500).label).toBe('2027-01-01');
  });

  it('every instant lies in its windows, and the next window starts where it ends', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (now) => {
        for (const w of [minuteWindow(now), dayWindow(now)]) {
          expect(w.startMs).toBeLessThanOrEqual(now);
          expect(now).toBeLessThan(w.endMs);
        }
        expect(minuteWindow(minuteWindow(now).endMs).startMs).toBe(minuteWindow(now).endMs);
      }),
    );
  });

  it('Retry-After is whole seconds, never 0', () => {
    expect(secondsUntil(1_000, 1_000)).toBe(1);
    expect(secondsUntil(1_001, 0)).toBe(2);
    expect(secondsUntil(0, 5_000)).toBe(1);
  });
});
