/* global module */
/**
 * serverless.yml's `${file(./lib/build/origin-timeouts.cjs):…}`: both timeouts from the one param
 * `originReadTimeout` (seconds the API has for a JSON reply, default 55). CloudFront's OriginReadTimeout gets
 * 5 s more, so the function's clear error always reaches the viewer before CloudFront would give up with a
 * 504 while the function kept working; at most 60, CloudFront's limit without a quota increase.
 */
const MARGIN_SECONDS = 5;
const CLOUDFRONT_MAX_SECONDS = 60;

function originTimeouts(raw) {
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 5 || seconds > CLOUDFRONT_MAX_SECONDS - MARGIN_SECONDS) {
    throw new Error(
      `param originReadTimeout must be a whole number of seconds from 5 to ${CLOUDFRONT_MAX_SECONDS - MARGIN_SECONDS} (got ${JSON.stringify(raw)})`,
    );
  }
  return { functionMs: String(seconds * 1000), cloudFrontSeconds: seconds + MARGIN_SECONDS };
}

module.exports = async ({ resolveVariable }) =>
  originTimeouts(await resolveVariable('param:originReadTimeout'));
module.exports.originTimeouts = originTimeouts;
