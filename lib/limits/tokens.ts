/**
 * The daily model-token budget (per user, UTC day). Checked before each request that calls the model; what
 * each model call spent (Gemini's usageMetadata) is added after it, whatever the budget, so GET /usage
 * shows it and a budget turned on later starts from the truth. A reply that crosses the line finishes; the
 * next request is refused until the day ends.
 */
import { config } from '../config.js';
import { addTo, readCounter } from '../store/counters.js';
import { windowCounterSk } from '../store/keys.js';
import { quotaExceeded } from './errors.js';
import { dayWindow } from './windows.js';

const DAY_S = 86_400;

export async function checkTokenBudget(uid: string, now = Date.now()): Promise<void> {
  const max = config.modelTokensPerDay;
  if (max === Infinity) return;
  const day = dayWindow(now);
  const used = await readCounter(uid, windowCounterSk('tokens', day.label));
  if (used >= max) throw quotaExceeded(max, used, day.endMs, now);
}

export async function recordTokens(uid: string, tokens: number, now = Date.now()): Promise<void> {
  if (!(tokens > 0)) return;
  const day = dayWindow(now);
  await addTo(
    uid,
    windowCounterSk('tokens', day.label),
    Math.ceil(tokens),
    Math.floor(day.endMs / 1000) + DAY_S,
  );
}
