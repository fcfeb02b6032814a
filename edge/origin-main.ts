/**
 * Lambda@Edge entry point of the origin-request function. MAX_BODY_BYTES and the proof key's SSM parameter
 * are replaced by literals at build time (edge/build.ts, esbuild `define`): Lambda@Edge has no environment
 * variables. The key is read from SSM in us-east-1 (where the stack and the parameter live, whatever region
 * serves the request) once per container, kept ten minutes; an edge replica never holds it in its code.
 */
import { proofKeyLoader } from '../lib/http/user-proof.js';
import { EDGE_STACK_REGION } from './config.js';
import { createOriginRequestHandler } from './origin-request.js';

const param = process.env.EDGE_USER_PROOF_KEY_PARAM ?? '';

const proofKey = proofKeyLoader(param, { region: EDGE_STACK_REGION, timeoutMs: 3000 });

export const handler = createOriginRequestHandler({
  maxBodyBytes: Number(process.env.EDGE_MAX_BODY_BYTES),
  proofKey,
});
