/** Jest global teardown: stops the embedded PostgreSQL started by global-setup (nothing to do with PG_URL). */
import type { GlobalPostgres } from './global-setup.js';

export default async function globalTeardown(): Promise<void> {
  const server: GlobalPostgres | undefined = globalThis.__semaiaTestPostgres;
  globalThis.__semaiaTestPostgres = undefined;
  await server?.stop();
}
