/**
 * The deploy-time half of the user proof (lib/http/user-proof.ts): `npm run deploy` makes sure the stage's
 * SSM SecureString holds a random 256-bit key before the stack that reads it is deployed. Created once and
 * never overwritten (both the edge and the API would otherwise disagree until their caches expire); it is
 * not part of the stack, so it survives a removal and is reused by the next deploy. Rotation: docs/deployment.md.
 */
import { randomBytes } from 'node:crypto';

export async function ensureProofKey(name: string, region: string): Promise<'created' | 'exists'> {
  const { SSMClient, GetParameterCommand, PutParameterCommand } = await import('@aws-sdk/client-ssm');
  const ssm = new SSMClient({ region });
  try {
    try {
      await ssm.send(new GetParameterCommand({ Name: name }));
      return 'exists';
    } catch (err) {
      if ((err as { name?: string }).name !== 'ParameterNotFound') throw err;
    }
    try {
      await ssm.send(
        new PutParameterCommand({
          Name: name,
          Type: 'SecureString',
          Value: randomBytes(32).toString('base64url'),
          Description: 'Semaia: HMAC key proving user headers come from CloudFront (edge → API)',
          Overwrite: false,
        }),
      );
      return 'created';
    } catch (err) {
      // Another deploy created it in between: theirs is as good as ours.
      if ((err as { name?: string }).name === 'ParameterAlreadyExists') return 'exists';
      throw err;
    }
  } finally {
    ssm.destroy();
  }
}
