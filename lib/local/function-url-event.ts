/**
 * Builds the Lambda Function URL event (payload format 2.0) for an HTTP request, the way the Function URL
 * front end does: lower-case headers with repeats joined by commas, cookies in their own array, the raw
 * query string kept, and non-text bodies base64-encoded.
 */
import type { LambdaFunctionURLEvent } from 'aws-lambda';

export interface HttpRequestParts {
  method: string;
  /** Path and query as received, e.g. `/api/chats?limit=5`. */
  url: string;
  /** Node's `req.headersDistinct`: lower-case names, every value. */
  headers: Record<string, string[] | undefined>;
  body: Buffer;
  sourceIp: string;
  requestId: string;
  now: Date;
  domainName: string;
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)\b)|[+/](json|xml)\b/i;

export function isTextContent(contentType: string | undefined): boolean {
  return contentType !== undefined && TEXT_TYPES.test(contentType);
}

export function functionUrlEvent(req: HttpRequestParts): LambdaFunctionURLEvent {
  const q = req.url.indexOf('?');
  const rawPath = q < 0 ? req.url : req.url.slice(0, q);
  const rawQueryString = q < 0 ? '' : req.url.slice(q + 1);

  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, values] of Object.entries(req.headers)) {
    if (!values || values.length === 0) continue;
    if (name === 'cookie') {
      cookies = values.flatMap((v) => v.split(';').map((c) => c.trim())).filter((c) => c !== '');
      continue;
    }
    headers[name] = values.join(',');
  }

  let queryStringParameters: Record<string, string> | undefined;
  if (rawQueryString !== '') {
    queryStringParameters = {};
    for (const [k, v] of new URLSearchParams(rawQueryString)) {
      queryStringParameters[k] = k in queryStringParameters ? `${queryStringParameters[k]},${v}` : v;
    }
  }

  const hasBody = req.body.length > 0;
  const text = isTextContent(headers['content-type']);
  const event: LambdaFunctionURLEvent = {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: req.domainName,
      domainPrefix: req.domainName.split('.')[0] ?? req.domainName,
      http: {
        method: req.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: req.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: req.requestId,
      routeKey: '$default',
      stage: '$default',
      time: req.now.toISOString(),
      timeEpoch: req.now.getTime(),
    },
    isBase64Encoded: hasBody && !text,
  };
  if (cookies && cookies.length > 0) event.cookies = cookies;
  if (queryStringParameters) event.queryStringParameters = queryStringParameters;
  if (hasBody) event.body = text ? req.body.toString('utf8') : req.body.toString('base64');
  return event;
}
