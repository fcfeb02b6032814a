/**
 * The local master key: 32 random bytes in DATA_DIR/connector-secrets.key, created on first use with mode
 * 0600 (DATA_DIR is git-ignored). Used only outside Lambda when KMS_KEY_ID is not set.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { config } from '../config.js';

export const LOCAL_KEY_FILE = 'connector-secrets.key';

export interface LocalKey {
  key: Buffer;
  /** Names the key without revealing it, so a replaced key file gives a clear error instead of a GCM failure. */
  keyId: string;
}

const cache = new Map<string, Promise<LocalKey>>();

export function localKeyPath(): string {
  return join(config.dataDir, LOCAL_KEY_FILE);
}

/** The local key, created when missing; one read per process and path. */
export function loadLocalKey(): Promise<LocalKey> {
  const path = localKeyPath();
  let pending = cache.get(path);
  if (!pending) {
    pending = readOrCreate(path).catch((err) => {
      cache.delete(path);
      throw err;
    });
    cache.set(path, pending);
  }
  return pending;
}

/** Forgets loaded keys (tests use it to act like a restarted process). */
export function resetLocalKeyCache(): void {
  cache.clear();
}

async function readOrCreate(path: string): Promise<LocalKey> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails when the file exists, so two processes starting together cannot overwrite each other's key.
    await writeFile(path, randomBytes(32), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = await readFile(path);
  if (key.length !== 32) throw new Error(`${path} is not a 32-byte key file`);
  const keyId = 'local:' + createHash('sha256').update(key).digest('hex').slice(0, 16);
  return { key, keyId };
}
