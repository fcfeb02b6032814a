/** What both edge functions answer and log themselves: generated responses in the API's error shape. */
import type { CloudFrontHeaders, CloudFrontRequest, CloudFrontResultResponse } from 'aws-lambda';

export function setHeader(headers: CloudFrontHeaders, name: string, key: string, value: string): void {
  headers[name] = [{ key, value }];
}

/** Every value of a header, whatever the case of its name (Lambda@Edge keys are lower-case, but be sure). */
export function headerValues(headers: CloudFrontHeaders, name: string): string[] {
  return Object.keys(headers)
    .filter((k) => k.toLowerCase() === name)
    .flatMap((k) => (headers[k] ?? []).map((h) => h.value));
}

/** Plain `{name: value}` headers in CloudFront's `{name: [{key, value}]}` form. */
export function toCloudFrontHeaders(plain: Record<string, string>): CloudFrontHeaders {
  return Object.fromEntries(Object.entries(plain).map(([k, v]) => [k.toLowerCase(), [{ key: k, value: v }]]));
}

/** `{"error":{"code","message"}}` like the API's own errors, readable by a browser on another origin. */
export function errorResponse(
  status: number,
  statusDescription: string,
  code: string,
  message: string,
  extra: CloudFrontHeaders = {},
): CloudFrontResultResponse {
  return {
    status: String(status),
    statusDescription,
    headers: {
      'content-type': [{ key: 'Content-Type', value: 'application/json' }],
      'cache-control': [{ key: 'Cache-Control', value: 'no-store' }],
      'access-control-allow-origin': [{ key: 'Access-Control-Allow-Origin', value: '*' }],
      ...extra,
    },
    body: JSON.stringify({ error: { code, message } }),
  };
}

export function tooLarge(request: CloudFrontRequest, message: string): CloudFrontResultResponse {
  logRefusal(request, 413, message);
  return errorResponse(413, 'Payload Too Large', 'PayloadTooLarge', message);
}

export function logRefusal(request: CloudFrontRequest, status: number, reason: string): void {
  // Method and path only: never the token, the query string or the body.
  console.log(
    JSON.stringify({
      level: 'warn',
      msg: 'edge_refused',
      status,
      reason,
      method: request.method,
      uri: request.uri,
    }),
  );
}
