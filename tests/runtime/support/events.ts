/**
 * Events for the lane: the fixtures of tests/events, and requests as the Function URL front end delivers
 * them after CloudFront (`/api` prefix, CloudFront's headers, the edge authorizer's user headers), built
 * with the same function the local shim uses.
 */
import { randomUUID } from 'node:crypto';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { functionUrlEvent } from '../../../lib/local/function-url-event.js';

export interface RequestOptions {
  /** The user the edge authorizer vouched for; null sends none. */
  user: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

export function cloudFrontRequest(method: string, url: string, opts: RequestOptions): LambdaFunctionURLEvent {
  const headers: Record<string, string[]> = {
    host: ['lane0123456789abcdefghijklmnopqrs.lambda-url.us-east-1.on.aws'],
    via: ['2.0 8f2c3a1b0e9d.cloudfront.net (CloudFront)'],
    'x-amz-cf-id': [randomUUID()],
    'x-forwarded-proto': ['https'],
    'user-agent': ['Amazon CloudFront'],
  };
  if (opts.user !== null) headers['x-user-uid'] = [opts.user];
  let body = Buffer.alloc(0);
  if (opts.body !== undefined) {
    body = Buffer.from(JSON.stringify(opts.body), 'utf8');
    headers['content-type'] = ['application/json'];
  }
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = [v];
  return functionUrlEvent({
    method,
    url,
    headers,
    body,
    sourceIp: '130.176.1.1',
    requestId: randomUUID(),
    now: new Date(),
    domainName: 'lane0123456789abcdefghijklmnopqrs.lambda-url.us-east-1.on.aws',
  });
}
