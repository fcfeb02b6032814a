/**
 * What one model call spent, for the daily budget (lib/limits/tokens.ts). Gemini reports it in
 * `usageMetadata` (cumulative over a stream: the last chunk's counts are the call's); its `totalTokenCount`
 * covers the prompt, the output, thinking and tool-use prompts. A stream cut before that chunk (a broken
 * connection, the reply's length cap, the deadline) was still billed for what it read and wrote, so it is
 * estimated from characters (about 4 a token). A call that got no answer at all spent nothing. Pure.
 */
import type { Content, GenerateContentResponseUsageMetadata, Part } from '@google/genai';

export type UsageMetadata = GenerateContentResponseUsageMetadata;

const CHARS_PER_TOKEN = 4;

export function tokensSpent(
  usage: UsageMetadata | undefined,
  answered: { request: { contents: Content[]; systemInstruction?: string }; output: Part[] } | undefined,
): number {
  if (usage) {
    const parts =
      (usage.promptTokenCount ?? 0) +
      (usage.candidatesTokenCount ?? 0) +
      (usage.thoughtsTokenCount ?? 0) +
      (usage.toolUsePromptTokenCount ?? 0);
    return Math.max(usage.totalTokenCount ?? 0, parts);
  }
  if (!answered) return 0;
  const chars =
    JSON.stringify(answered.request.contents).length +
    (answered.request.systemInstruction?.length ?? 0) +
    JSON.stringify(answered.output).length;
  return Math.ceil(chars / CHARS_PER_TOKEN);
}
