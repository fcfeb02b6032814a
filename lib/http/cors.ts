/** Permissive CORS: the SPA is served from the same CloudFront domain, and local UIs from other origins. */
export const ALLOWED_HEADERS =
  'content-type, authorization, x-user-uid, x-user-email, x-amz-content-sha256, last-event-id, idempotency-key';

export const corsHeaders: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'x-request-id, allow',
};

export function preflightHeaders(methods: string[]): Record<string, string> {
  return {
    ...corsHeaders,
    'access-control-allow-methods': [...methods, 'OPTIONS'].join(', '),
    'access-control-allow-headers': ALLOWED_HEADERS,
    'access-control-max-age': '600',
  };
}
