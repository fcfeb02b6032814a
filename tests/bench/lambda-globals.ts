/**
 * Installs the local `awslambda` global even when the AWS SDK got there first: @aws/lambda-invoke-store
 * (loaded by @aws-sdk/core) sets `globalThis.awslambda = globalThis.awslambda || {}`, after which
 * lib/local/lambda-runtime.ts `installLambdaGlobals()` sees a global and leaves it without streaming members.
 */
import { awslambdaGlobal, installLambdaGlobals } from '../../lib/local/lambda-runtime.js';

export function ensureLambdaGlobals(): void {
  installLambdaGlobals();
  const current = (globalThis as { awslambda?: Record<string, unknown> }).awslambda!;
  if (typeof current.streamifyResponse !== 'function') Object.assign(current, awslambdaGlobal);
}
