/**
 * Each streaming rule's tiny handler (tests/local/streaming-rules.ts) under the real runtime interface
 * client, on the machine's Node and on Node 22, and under the local stand-in: the front end must see what
 * the rule states from both. This is where the rules' expectations come from, so the stand-in cannot drift
 * from the real client unnoticed.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { StreamifyHandler } from 'aws-lambda';
import { build } from 'esbuild';
import { awslambdaGlobal, installLambdaGlobals } from '../../lib/local/lambda-runtime.js';
import { outcomeOfStandIn } from '../local/stand-in-outcome.js';
import { STREAMING_RULES, type Outcome, type StreamingRule } from '../local/streaming-rules.js';
import { settleOrHang } from './support/outcome.js';
import { startRuntimeApi } from './support/runtime-api.js';
import { laneNodes, startRuntime, type NodeBinary } from './support/runtime-process.js';

installLambdaGlobals();
// The stand-in logs "Invoke Error" as the runtime does; the lane's output stays readable without it.
process.env.LOG_LEVEL ??= 'silent';

const RULES_DIR = resolve('.tmp/runtime-lane/rules');
/** How long a stream may stay silent before it counts as hanging (the platform would time it out). */
const QUIET_MS = 2_000;

beforeAll(async () => {
  mkdirSync(RULES_DIR, { recursive: true });
  await build({
    entryPoints: { index: resolve('tests/runtime/support/rules-entry.ts') },
    outdir: RULES_DIR,
    bundle: true,
    format: 'esm',
    platform: 'node',
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
  });
});

// The stand-in is run once per rule; each Node's case compares its real outcome with it.
const standIn = new Map<string, Promise<Outcome>>();
const standInOutcome = (rule: StreamingRule): Promise<Outcome> => {
  if (!standIn.has(rule.id)) {
    const handler = awslambdaGlobal.streamifyResponse(rule.handler as unknown as StreamifyHandler);
    standIn.set(rule.id, outcomeOfStandIn(handler, QUIET_MS));
  }
  return standIn.get(rule.id)!;
};

describe.each(laneNodes().map((node) => [node.version, node] as const))(
  'aws-lambda-ric on Node %s, and the local stand-in',
  (_version: string, node: NodeBinary) => {
    it.each(STREAMING_RULES)('$behaviour', async (rule) => {
      const api = await startRuntimeApi();
      const runtime = startRuntime({
        node,
        runtimeApi: api.address,
        taskRoot: RULES_DIR,
        handler: `index.handlers.${rule.id}`,
      });
      try {
        const real = await settleOrHang(api.invoke({}), QUIET_MS);
        expect(real).toEqual(rule.expected);
        expect(api.violations).toEqual([]);
        expect(await standInOutcome(rule)).toEqual(real);
      } finally {
        await runtime.stop();
        await api.close();
      }
    });
  },
);
