/**
 * Lambda@Edge entry point. The EDGE_AUTH_* values are replaced by literals at build time (edge/build.ts,
 * esbuild `define`), because Lambda@Edge functions get no environment variables.
 */
import { createViewerRequestHandler } from './authorizer.js';
import { resolveEdgeAuthConfig } from './config.js';

const resolved = resolveEdgeAuthConfig({
  EDGE_AUTH_PROVIDER: process.env.EDGE_AUTH_PROVIDER,
  EDGE_AUTH_ISSUER: process.env.EDGE_AUTH_ISSUER,
  EDGE_AUTH_AUDIENCE: process.env.EDGE_AUTH_AUDIENCE,
  EDGE_AUTH_JWKS_URL: process.env.EDGE_AUTH_JWKS_URL,
});

export const handler = createViewerRequestHandler(resolved.ok ? resolved.config : null);
