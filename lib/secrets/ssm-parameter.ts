/**
 * Reads one SSM parameter (decrypted when it is a SecureString). The client is loaded on first use, so only
 * the code paths that need a secret pay for it. No configuration import: the Lambda@Edge origin function
 * bundles this too and passes its own region.
 */
export interface ParameterSource {
  region: string;
  /** Endpoint override (tests point this at a stand-in speaking SSM's protocol). */
  endpoint?: string | undefined;
  /** Gives up on one call after this long (the edge has a request waiting). */
  timeoutMs?: number;
}

export async function readParameter(name: string, source: ParameterSource): Promise<string | undefined> {
  const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
  const client = new SSMClient({
    region: source.region,
    maxAttempts: 2,
    ...(source.endpoint ? { endpoint: source.endpoint } : {}),
  });
  try {
    const signal = source.timeoutMs ? AbortSignal.timeout(source.timeoutMs) : undefined;
    const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }), {
      abortSignal: signal,
    });
    return out.Parameter?.Value || undefined;
  } finally {
    client.destroy();
  }
}

/**
 * A value loaded once and kept for `maxAgeMs` (so a rotated secret is picked up), shared by concurrent
 * callers; a failed load is not kept, the next caller tries again.
 */
export function cachedLoader<T>(load: () => Promise<T>, maxAgeMs: number, now = Date.now): () => Promise<T> {
  let entry: { value: Promise<T>; at: number } | undefined;
  return () => {
    if (!entry || now() - entry.at > maxAgeMs) {
      const value = load();
      const current = { value, at: now() };
      entry = current;
      value.catch(() => {
        if (entry === current) entry = undefined;
      });
    }
    return entry.value;
  };
}
