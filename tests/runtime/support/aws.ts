/**
 * Stand-ins for the AWS services the function calls in Lambda mode, over the AWS JSON protocol the real
 * SDK clients speak (POST /, X-Amz-Target: <service>.<operation>):
 *   - KMS GenerateDataKey / Decrypt (connector passwords; KMS_KEY_ID). Like KMS, a data key only decrypts
 *     under the encryption context it was made with.
 *   - SSM GetParameter (the Gemini key; GEMINI_API_KEY_PARAM, as deployed). Reached through the SDK's own
 *     AWS_ENDPOINT_URL_SSM, so the function's code has no override for it.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export const KMS_KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/lane';

export interface AwsStandIn {
  url: string;
  /** Operations called so far, e.g. `GenerateDataKey`. */
  readonly calls: string[];
  close(): Promise<void>;
}

type Operation = (input: Record<string, any>) => { status: number; body: unknown };

async function serveJsonProtocol(
  service: string,
  operations: Record<string, Operation>,
): Promise<AwsStandIn> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const name = target.startsWith(`${service}.`) ? target.slice(service.length + 1) : target;
      calls.push(name);
      const op = operations[name];
      const out = op
        ? op(JSON.parse(body || '{}') as Record<string, any>)
        : { status: 400, body: { __type: 'UnsupportedOperationException', message: target } };
      res.writeHead(out.status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const contextAad = (context: Record<string, string> = {}) =>
  Buffer.from(JSON.stringify(Object.entries(context).sort()), 'utf8');

export function startKms(): Promise<AwsStandIn> {
  const master = randomBytes(32);
  return serveJsonProtocol('TrentService', {
    GenerateDataKey: (input) => {
      const plain = randomBytes(32);
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', master, iv).setAAD(contextAad(input.EncryptionContext));
      const ct = Buffer.concat([c.update(plain), c.final()]);
      return {
        status: 200,
        body: {
          KeyId: KMS_KEY_ARN,
          Plaintext: plain.toString('base64'),
          CiphertextBlob: Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64'),
        },
      };
    },
    Decrypt: (input) => {
      try {
        const blob = Buffer.from(String(input.CiphertextBlob), 'base64');
        const d = createDecipheriv('aes-256-gcm', master, blob.subarray(0, 12));
        d.setAAD(contextAad(input.EncryptionContext)).setAuthTag(blob.subarray(12, 28));
        const plain = Buffer.concat([d.update(blob.subarray(28)), d.final()]);
        return { status: 200, body: { KeyId: KMS_KEY_ARN, Plaintext: plain.toString('base64') } };
      } catch {
        return { status: 400, body: { __type: 'InvalidCiphertextException', message: 'context mismatch' } };
      }
    },
  });
}

/** SecureString parameters by name; GetParameter without WithDecryption gets the ciphertext, as SSM does. */
export function startSsm(parameters: Record<string, string>): Promise<AwsStandIn> {
  return serveJsonProtocol('AmazonSSM', {
    GetParameter: (input) => {
      const value = parameters[String(input.Name)];
      if (value === undefined) {
        return { status: 400, body: { __type: 'ParameterNotFound', message: `${input.Name} not found` } };
      }
      const shown = input.WithDecryption === true ? value : Buffer.from(value).toString('base64');
      return {
        status: 200,
        body: { Parameter: { Name: input.Name, Type: 'SecureString', Value: shown, Version: 1 } },
      };
    },
  });
}
