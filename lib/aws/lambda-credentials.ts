/**
 * Stands in for @aws-sdk/credential-provider-node in the Lambda bundle (an esbuild alias in
 * lib/build/build.ts). Inside Lambda the credentials of the function's role are always in the environment,
 * so the full provider chain (profiles, SSO, STS web identity, IMDS: ~90 KB of code and its start-up cost)
 * is never needed. Local runs and tests use the real chain.
 */
import type { AwsCredentialIdentity } from '@aws-sdk/types';

export const defaultProvider = () => async (): Promise<AwsCredentialIdentity> => {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('AWS credentials are not in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)');
  }
  const sessionToken = process.env.AWS_SESSION_TOKEN;
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
};

// The other names the package exports; the SDK's clients only call defaultProvider.
export const credentialsWillNeedRefresh = () => false;
export const credentialsTreatedAsExpired = () => false;
