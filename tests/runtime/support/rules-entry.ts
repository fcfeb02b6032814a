/**
 * The streaming rules' handlers as a module the real runtime can load (bundled by the lane to
 * .tmp/runtime-lane/rules/index.mjs): `_HANDLER=index.handlers.<rule id>`.
 */
import type { StreamifyHandler } from 'aws-lambda';
import { STREAMING_RULES } from '../../local/streaming-rules.js';

export const handlers = Object.fromEntries(
  STREAMING_RULES.map((rule) => [
    rule.id,
    awslambda.streamifyResponse(rule.handler as unknown as StreamifyHandler),
  ]),
);
