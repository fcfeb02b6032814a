/**
 * CloudFront origin-request function for `/api/*` (Lambda@Edge), run after the viewer-request authorizer
 * let a request through. It prepares what the origin needs:
 *   - `x-amz-content-sha256`: the Origin Access Control signs with SigV4 and the Function URL refuses a
 *     POST/PUT without the payload hash. Origin-request functions see up to 1 MB of body (viewer-request
 *     only 40 KB). A body CloudFront truncated can only pass with the client's own well-formed hash (the
 *     Function URL checks it against the real body); otherwise, or past MAX_BODY_BYTES, 413 here.
 *   - `x-user-proof`: an HMAC over the user the authorizer set (lib/http/user-proof.ts), so the API can tell
 *     CloudFront's requests from anyone else's SigV4 call. The key is read from SSM once per container.
 */
import { createHash } from 'node:crypto';
import type { CloudFrontRequest, CloudFrontRequestEvent, CloudFrontResultResponse } from 'aws-lambda';
import { signUserProof, USER_PROOF_HEADER } from '../lib/http/user-proof.js';
import { errorResponse, headerValues, logRefusal, setHeader, tooLarge } from './responses.js';

export type OriginRequestHandler = (
  event: CloudFrontRequestEvent,
) => Promise<CloudFrontRequest | CloudFrontResultResponse>;

export interface OriginRequestOptions {
  /** MAX_BODY_BYTES, baked in at build time (the API's limit too). */
  maxBodyBytes: number;
  /** The proof key; loaded once per container by the caller's loader. */
  proofKey: () => Promise<Buffer>;
  nowSec?: () => number;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function createOriginRequestHandler(options: OriginRequestOptions): OriginRequestHandler {
  const nowSec = options.nowSec ?? (() => Math.floor(Date.now() / 1000));

  return async (event) => {
    const { request, config } = event.Records[0]!.cf;

    const refusal = setPayloadHash(request, options.maxBodyBytes);
    if (refusal) return refusal;

    const uid = headerValues(request.headers, 'x-user-uid');
    if (uid.length === 1) {
      let key: Buffer;
      try {
        key = await options.proofKey();
      } catch (err) {
        logRefusal(request, 500, `proof key unavailable: ${(err as Error)?.name ?? 'Error'}`);
        return errorResponse(500, 'Internal Server Error', 'Internal', 'Internal error');
      }
      const email = headerValues(request.headers, 'x-user-email')[0];
      const proof = signUserProof(key, { uid: uid[0]!, email }, config.requestId, nowSec());
      setHeader(request.headers, USER_PROOF_HEADER, 'X-User-Proof', proof);
    }
    return request;
  };
}

/** Sets the payload hash, or returns the 413 for a body that cannot (or may not) be hashed here. */
function setPayloadHash(
  request: CloudFrontRequest,
  maxBodyBytes: number,
): CloudFrontResultResponse | undefined {
  const body = request.body;
  if (body?.inputTruncated) {
    const sent = headerValues(request.headers, 'x-amz-content-sha256');
    if (sent.length === 1 && SHA256_HEX.test(sent[0]!.toLowerCase())) {
      setHeader(request.headers, 'x-amz-content-sha256', 'X-Amz-Content-Sha256', sent[0]!.toLowerCase());
      return undefined;
    }
    return tooLarge(
      request,
      'Request body over 1 MB: send its SHA-256 (hex) in x-amz-content-sha256 with it',
    );
  }
  const bytes = body?.data
    ? Buffer.from(body.data, body.encoding === 'text' ? 'utf8' : 'base64')
    : Buffer.alloc(0);
  if (bytes.length > maxBodyBytes) {
    return tooLarge(request, `Request body is larger than ${maxBodyBytes} bytes`);
  }
  const hash = createHash('sha256').update(bytes).digest('hex');
  setHeader(request.headers, 'x-amz-content-sha256', 'X-Amz-Content-Sha256', hash);
  return undefined;
}
