/**
 * KMS data keys for envelope encryption. @aws-sdk/client-kms is loaded on first use, only when KMS_KEY_ID
 * is set, so routes that never touch a password do not pay for it.
 */
import { config } from '../config.js';

type KmsModule = typeof import('@aws-sdk/client-kms');

let cached:
  { signature: string; client: import('@aws-sdk/client-kms').KMSClient; mod: KmsModule } | undefined;

async function kms() {
  const signature = `${config.region}|${config.kmsEndpoint ?? ''}`;
  if (!cached || cached.signature !== signature) {
    const mod = await import('@aws-sdk/client-kms');
    const endpoint = config.kmsEndpoint;
    const client = new mod.KMSClient({
      region: config.region,
      maxAttempts: 3,
      ...(endpoint ? { endpoint } : {}),
    });
    cached?.client.destroy();
    cached = { signature, client, mod };
  }
  return cached;
}

export interface DataKey {
  plaintext: Buffer;
  encrypted: Buffer;
  keyId: string;
}

/** A fresh AES-256 data key bound to `context` (KMS refuses to decrypt it under any other context). */
export async function generateDataKey(keyId: string, context: Record<string, string>): Promise<DataKey> {
  const { client, mod } = await kms();
  const out = await client.send(
    new mod.GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context }),
  );
  if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
  return {
    plaintext: Buffer.from(out.Plaintext),
    encrypted: Buffer.from(out.CiphertextBlob),
    keyId: out.KeyId ?? keyId,
  };
}

/** Decrypts a data key; KMS checks the context against the one used at generation. */
export async function decryptDataKey(
  encrypted: Buffer,
  keyId: string,
  context: Record<string, string>,
): Promise<Buffer> {
  const { client, mod } = await kms();
  const out = await client.send(
    new mod.DecryptCommand({ CiphertextBlob: encrypted, KeyId: keyId, EncryptionContext: context }),
  );
  if (!out.Plaintext) throw new Error('KMS Decrypt returned no plaintext');
  return Buffer.from(out.Plaintext);
}
