/**
 * Envelope encryption of connector passwords: AES-256-GCM under a data key that is either a KMS data key
 * (KMS_KEY_ID set; encryption context {uid, connectorId}) or, locally, the key file under DATA_DIR. The GCM
 * additional data names the user and the connector as well, so a ciphertext copied into another user's or
 * another connector's item does not decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { config } from '../config.js';
import { AppError } from '../errors.js';
import { decryptDataKey, generateDataKey } from './kms.js';
import { loadLocalKey } from './local-key.js';

/** The stored form (a DynamoDB map). Versioned so the format can change without a migration. */
export interface SealedSecret {
  v: 1;
  alg: 'AES-256-GCM';
  /** Where the data key comes from. */
  kp: 'kms' | 'local';
  /** KMS key id/ARN, or the local key's fingerprint. */
  keyId: string;
  /** The KMS-encrypted data key (base64); absent for the local key. */
  edk?: string;
  iv: string;
  tag: string;
  ct: string;
}

export interface SecretContext {
  uid: string;
  connectorId: string;
}

const aad = (ctx: SecretContext) =>
  Buffer.from(JSON.stringify(['semaia-connector-password', ctx.uid, ctx.connectorId]), 'utf8');
const kmsContext = (ctx: SecretContext) => ({ uid: ctx.uid, connectorId: ctx.connectorId });

/** Encrypts a password for one user's connector. */
export async function sealSecret(plaintext: string, ctx: SecretContext): Promise<SealedSecret> {
  const kmsKeyId = config.kmsKeyId;
  let key: Buffer;
  let head: Pick<SealedSecret, 'kp' | 'keyId' | 'edk'>;
  if (kmsKeyId) {
    const dataKey = await generateDataKey(kmsKeyId, kmsContext(ctx));
    key = dataKey.plaintext;
    head = { kp: 'kms', keyId: dataKey.keyId, edk: dataKey.encrypted.toString('base64') };
  } else if (config.inLambda) {
    throw new AppError('Internal', 'KMS_KEY_ID is not set: connector passwords cannot be stored');
  } else {
    const local = await loadLocalKey();
    key = local.key;
    head = { kp: 'local', keyId: local.keyId };
  }
  try {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad(ctx));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      v: 1,
      alg: 'AES-256-GCM',
      ...head,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ct: ct.toString('base64'),
    };
  } finally {
    if (head.kp === 'kms') key.fill(0); // the local key is cached for the process; a data key is single use
  }
}

// The request's log line records it with its cause chain; the client sees a generic Internal error.
const undecryptable = (reason: string, ctx: SecretContext, cause?: unknown) => {
  return new AppError(
    'Internal',
    `The stored password of connector ${ctx.connectorId} cannot be decrypted (${reason})`,
    undefined,
    { cause },
  );
};

/** Decrypts a password sealed for exactly this user and connector; anything else is an Internal error. */
export async function openSecret(sealed: unknown, ctx: SecretContext): Promise<string> {
  const s = sealed as Partial<SealedSecret> | null;
  if (!s || s.v !== 1 || s.alg !== 'AES-256-GCM' || !s.iv || !s.tag || typeof s.ct !== 'string') {
    throw undecryptable('unknown format', ctx);
  }
  let key: Buffer;
  if (s.kp === 'kms') {
    if (!s.edk || !s.keyId) throw undecryptable('missing data key', ctx);
    try {
      key = await decryptDataKey(Buffer.from(s.edk, 'base64'), s.keyId, kmsContext(ctx));
    } catch (err) {
      throw undecryptable('KMS refused the data key', ctx, err);
    }
  } else if (s.kp === 'local') {
    if (config.inLambda) throw undecryptable('sealed with a local key', ctx);
    const local = await loadLocalKey();
    if (local.keyId !== s.keyId) throw undecryptable('sealed with another local key file', ctx);
    key = local.key;
  } else {
    throw undecryptable('unknown key provider', ctx);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(s.iv, 'base64'), {
      authTagLength: 16, // a truncated tag would weaken the integrity check
    });
    decipher.setAAD(aad(ctx));
    decipher.setAuthTag(Buffer.from(s.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(s.ct, 'base64')), decipher.final()]).toString('utf8');
  } catch (err) {
    throw undecryptable('it belongs to another user or connector, or was altered', ctx, err);
  } finally {
    if (s.kp === 'kms') key.fill(0);
  }
}
