/**
 * The real `npm run package` (build + `osls package` offline with dummy credentials), once, then the
 * generated CloudFormation template and zips are checked for what the stack must guarantee.
 * SEMAIA_PACKAGE_SKIP_BUILD=1 reuses an existing dist/ (e.g. when CI has just built it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableDefinition } from '../../lib/store/table.js';
import { packageStack, type PackageResult } from '../../lib/build/package.js';
import { zipEntries } from './zip-entries.js';

type Json = any;

const root = process.cwd();
let packaged: PackageResult;
let template: Json;
let resources: Record<string, Json>;

beforeAll(async () => {
  packaged = await packageStack({
    root,
    build: process.env.SEMAIA_PACKAGE_SKIP_BUILD !== '1',
    stdio: 'pipe',
  });
  template = JSON.parse(readFileSync(packaged.templatePath, 'utf8'));
  resources = template.Resources;
}, 300_000);

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const props = (logicalId: string) => {
  const r = resources[logicalId];
  if (!r) throw new Error(`no resource ${logicalId}`);
  return r.Properties;
};
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** True when a CloudFormation value points at the resource (Ref, GetAtt, or ${Id} / ${Id.Attr} in Fn::Sub). */
function refersTo(value: Json, logicalId: string): boolean {
  if (!value || typeof value !== 'object') return false;
  if (value.Ref === logicalId) return true;
  if (Array.isArray(value['Fn::GetAtt']) && value['Fn::GetAtt'][0] === logicalId) return true;
  const sub = value['Fn::Sub'];
  const text = Array.isArray(sub) ? sub[0] : sub;
  return typeof text === 'string' && new RegExp(`\\$\\{${logicalId}[.}]`).test(text);
}

/** The distribution's ARN as the permissions and the bucket policy must name it. */
const isDistributionArn = (value: Json) =>
  refersTo(value, 'Distribution') &&
  /:cloudfront::\$\{AWS::AccountId\}:distribution\/\$\{Distribution\}$/.test(value['Fn::Sub']);

describe('packaging', () => {
  it('targets us-east-1 and zips only the built bundles', () => {
    const state = JSON.parse(readFileSync(join(root, '.serverless', 'serverless-state.json'), 'utf8'));
    expect(state.service.provider.region).toBe('us-east-1');

    const api = zipEntries(join(root, '.serverless', 'api.zip'));
    expect(api).toContain('dist/api/index.mjs');
    expect(api).toContain('dist/api/chunks/libpg-query.wasm'); // the SQL parser, beside the chunk that loads it
    expect(api.every((f) => f.startsWith('dist/api/') && !f.endsWith('.map'))).toBe(true);
    const edge = zipEntries(join(root, '.serverless', 'edge.zip'));
    expect(edge).toContain('dist/edge/index.js');
    expect(edge.every((f) => f.startsWith('dist/edge/'))).toBe(true);
  });
});

describe('API function and its URL', () => {
  it('is a streaming, IAM-protected Function URL on the API function', () => {
    const urls = ofType('AWS::Lambda::Url');
    expect(urls).toHaveLength(1);
    const [id, url] = urls[0]!;
    expect(id).toBe('ApiLambdaFunctionUrl');
    expect(url.Properties).toMatchObject({ AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM' });
    expect(refersTo(url.Properties.TargetFunctionArn, 'ApiLambdaFunction')).toBe(true);
  });

  it('runs the prebuilt bundle with a stream-length timeout', () => {
    const fn = props('ApiLambdaFunction');
    expect(fn.Handler).toBe('dist/api/index.handler');
    expect(fn.Runtime).toMatch(/^nodejs(22|24)\.x$/);
    expect(fn.Timeout).toBe(900);
    expect(fn.MemorySize).toBeGreaterThanOrEqual(1024);
    expect(refersTo(fn.Role, 'ApiFunctionRole')).toBe(true);
    expect(resources.ApiLambdaFunction.DependsOn).toContain('ApiFunctionDataPolicy');
    const env = fn.Environment.Variables;
    expect(refersTo(env.TABLE_NAME, 'Table')).toBe(true);
    expect(refersTo(env.KMS_KEY_ID, 'ConnectorKey')).toBe(true);
    expect(typeof env.GEMINI_MODEL).toBe('string');
  });

  it('holds no secret in plaintext: the Gemini key is read from SSM by name', () => {
    const env = props('ApiLambdaFunction').Environment.Variables;
    expect(env.GEMINI_API_KEY).toBeUndefined();
    expect(env.GEMINI_API_KEY_PARAM).toMatch(/^\/semaia\/[a-z0-9-]+\/gemini-api-key$/);
    for (const [name, value] of Object.entries(env)) {
      if (/KEY|SECRET|TOKEN|PASSWORD/i.test(name) && typeof value === 'string') {
        // Only names of things (a parameter path or an ARN), never a value that could be the secret.
        expect(value).toMatch(/^(\/|arn:)/);
      }
    }
    const text = JSON.stringify(template);
    expect(text).not.toMatch(/AIza[0-9A-Za-z_-]{30,}/); // Google API key shape
    expect(text).not.toMatch(/-----BEGIN/);
    // The one parameter the function may read is the one it is told about.
    const ssm = roleStatements().filter((s) => asArray(s.Action).includes('ssm:GetParameter'));
    expect(ssm).toHaveLength(1);
    expect(ssm[0].Resource['Fn::Sub']).toMatch(
      new RegExp(`:ssm:\\$\\{AWS::Region\\}:\\$\\{AWS::AccountId\\}:parameter${env.GEMINI_API_KEY_PARAM}$`),
    );
  });
});

/** Every IAM statement that applies to the API function's role (inline and attached policies). */
function roleStatements(): Json[] {
  const role = props('ApiFunctionRole');
  const inline = asArray(role.Policies).flatMap((p: Json) => asArray(p.PolicyDocument.Statement));
  const attached = ofType('AWS::IAM::Policy')
    .filter(([, p]) => asArray(p.Properties.Roles).some((r: Json) => refersTo(r, 'ApiFunctionRole')))
    .flatMap(([, p]) => asArray(p.Properties.PolicyDocument.Statement));
  return [...inline, ...attached];
}

describe('API function role', () => {
  it('is the only role besides the edge role (no framework default role with broader rights)', () => {
    expect(
      ofType('AWS::IAM::Role')
        .map(([id]) => id)
        .sort(),
    ).toEqual(['ApiFunctionRole', 'EdgeFunctionRole']);
    expect(props('ApiFunctionRole').ManagedPolicyArns).toBeUndefined();
  });

  it('allows only the table, the connector key, the Gemini parameter and its own logs', () => {
    const statements = roleStatements();
    expect(statements.length).toBeGreaterThan(0);
    const allowed = new Set([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
      'dynamodb:BatchWriteItem',
      'kms:GenerateDataKey',
      'kms:Decrypt',
      'ssm:GetParameter',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    for (const s of statements) {
      expect(s.Effect).toBe('Allow');
      for (const action of asArray<string>(s.Action)) expect(allowed.has(action)).toBe(true);
      for (const resource of asArray<Json>(s.Resource)) expect(resource).not.toBe('*');
    }
  });

  it('scopes DynamoDB to the table and its indexes and KMS to the connector key (or SSM use of aws/ssm)', () => {
    const statements = roleStatements();
    const dynamo = statements.filter((s) => asArray<string>(s.Action).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.length).toBeGreaterThan(0);
    for (const s of dynamo) for (const r of asArray(s.Resource)) expect(refersTo(r, 'Table')).toBe(true);

    const kms = statements.filter((s) => asArray<string>(s.Action).some((a) => a.startsWith('kms:')));
    expect(kms.some((s) => refersTo(s.Resource, 'ConnectorKey'))).toBe(true);
    for (const s of kms) {
      if (refersTo(s.Resource, 'ConnectorKey')) continue;
      // Decrypting the SecureString: only through SSM and only the AWS managed key alias/aws/ssm.
      expect(s.Action).toBe('kms:Decrypt');
      expect(s.Condition.StringEquals['kms:ViaService']).toBeDefined();
      expect(s.Condition['ForAnyValue:StringEquals']['kms:ResourceAliases']).toBe('alias/aws/ssm');
    }
  });

  it('is named in the key policy only for data keys bound to an encryption context', () => {
    const key = props('ConnectorKey');
    expect(key.EnableKeyRotation).toBe(true);
    const forRole = key.KeyPolicy.Statement.filter((s: Json) => refersTo(s.Principal.AWS, 'ApiFunctionRole'));
    expect(forRole).toHaveLength(1);
    expect(forRole[0].Action.sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(forRole[0].Condition['ForAllValues:StringEquals']['kms:EncryptionContextKeys'].sort()).toEqual([
      'connectorId',
      'uid',
    ]);
  });
});

describe('DynamoDB table', () => {
  it('has exactly the keys and index of lib/store/table.ts', () => {
    const def = tableDefinition('x');
    const table = props('Table');
    const byName = (a: { AttributeName: string }, b: { AttributeName: string }) =>
      a.AttributeName.localeCompare(b.AttributeName);
    expect(table.BillingMode).toBe(def.BillingMode);
    expect([...table.AttributeDefinitions].sort(byName)).toEqual([...def.AttributeDefinitions].sort(byName));
    expect(table.KeySchema).toEqual(def.KeySchema);
    expect(table.GlobalSecondaryIndexes).toEqual(def.GlobalSecondaryIndexes);
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(resources.Table.DeletionPolicy).toBe('Retain');
  });
});

describe('CloudFront', () => {
  const distribution = () => props('Distribution').DistributionConfig;
  const apiBehavior = () => distribution().CacheBehaviors.find((b: Json) => b.PathPattern === '/api/*');
  const origin = (id: string) => distribution().Origins.find((o: Json) => o.Id === id);

  it('sends /api/* to the Function URL through an OAC of type lambda, uncached and uncompressed', () => {
    const behavior = apiBehavior();
    expect(behavior).toBeDefined();
    const apiOrigin = origin(behavior.TargetOriginId);
    expect(apiOrigin.DomainName).toEqual({
      'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::GetAtt': ['ApiLambdaFunctionUrl', 'FunctionUrl'] }] }],
    });
    expect(apiOrigin.CustomOriginConfig).toMatchObject({
      OriginProtocolPolicy: 'https-only',
      OriginReadTimeout: 60,
    });
    const oacId = apiOrigin.OriginAccessControlId['Fn::GetAtt'][0];
    expect(props(oacId).OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 'lambda',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    expect(behavior.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // CachingDisabled
    expect(behavior.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac'); // AllViewerExceptHostHeader
    expect([...behavior.AllowedMethods].sort()).toEqual([
      'DELETE',
      'GET',
      'HEAD',
      'OPTIONS',
      'PATCH',
      'POST',
      'PUT',
    ]);
    expect(behavior.Compress).toBe(false);
    expect(behavior.ViewerProtocolPolicy).toBe('https-only');
  });

  it('runs the edge authorizer on viewer-request of /api/* with the body, as a published version', () => {
    const associations = apiBehavior().LambdaFunctionAssociations;
    expect(associations).toHaveLength(1);
    expect(associations[0]).toMatchObject({ EventType: 'viewer-request', IncludeBody: true });
    const versionId = associations[0].LambdaFunctionARN.Ref;
    const version = resources[versionId];
    expect(version.Type).toBe('AWS::Lambda::Version');
    expect(refersTo(version.Properties.FunctionName, 'EdgeLambdaFunction')).toBe(true);
    // A new version is published whenever the built code changes.
    const info = JSON.parse(readFileSync(join(root, 'dist', 'edge', 'build-info.json'), 'utf8'));
    expect(version.Properties.Description).toContain(info.sha256);
    expect(version.DeletionPolicy).toBe('Retain');
  });

  it('keeps the edge function within Lambda@Edge rules', () => {
    const fn = props('EdgeLambdaFunction');
    expect(fn.Handler).toBe('dist/edge/index.handler');
    expect(fn.Environment).toBeUndefined();
    expect(fn.Layers).toBeUndefined();
    expect(fn.VpcConfig).toBeUndefined();
    expect(fn.MemorySize).toBeLessThanOrEqual(128);
    expect(fn.Timeout).toBeLessThanOrEqual(5);
    expect(fn.Architectures).toEqual(['x86_64']);
    const trust = props('EdgeFunctionRole').AssumeRolePolicyDocument.Statement[0].Principal.Service;
    expect([...trust].sort()).toEqual(['edgelambda.amazonaws.com', 'lambda.amazonaws.com']);
  });

  it('serves the SPA from the private bucket by OAC, rewriting client-side routes only', () => {
    const config = distribution();
    expect(config.HttpVersion).toBe('http2and3');
    expect(config.PriceClass).toBe('PriceClass_100');
    const def = config.DefaultCacheBehavior;
    expect(def.ViewerProtocolPolicy).toBe('redirect-to-https');
    const spaOrigin = origin(def.TargetOriginId);
    expect(refersTo(spaOrigin.DomainName, 'SpaBucket')).toBe(true);
    expect(props(spaOrigin.OriginAccessControlId['Fn::GetAtt'][0]).OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
    });
    // No custom error responses: they would also replace the API's 403/404 answers.
    expect(config.CustomErrorResponses).toBeUndefined();

    expect(def.FunctionAssociations).toHaveLength(1);
    expect(def.FunctionAssociations[0].EventType).toBe('viewer-request');
    const fnId = def.FunctionAssociations[0].FunctionARN['Fn::GetAtt'][0];
    const fn = props(fnId);
    expect(fn.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    // Run the function's code as CloudFront would.
    const handler = new Function(`${fn.FunctionCode}; return handler;`)() as (e: Json) => Json;
    const rewrite = (uri: string) => handler({ request: { uri } }).uri;
    expect(rewrite('/')).toBe('/index.html');
    expect(rewrite('/chats/01HX2')).toBe('/index.html');
    expect(rewrite('/connectors/abc/')).toBe('/index.html');
    expect(rewrite('/assets/app-3f2a.js')).toBe('/assets/app-3f2a.js');
    expect(rewrite('/favicon.ico')).toBe('/favicon.ico');
  });

  it('keeps the SPA bucket private and readable only by this distribution', () => {
    const bucket = props('SpaBucket');
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration).toHaveLength(1);
    const policy = props('SpaBucketPolicy');
    expect(refersTo(policy.Bucket, 'SpaBucket')).toBe(true);
    for (const s of policy.PolicyDocument.Statement) {
      if (s.Effect === 'Deny') continue;
      expect(s.Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
      expect(isDistributionArn(s.Condition.StringEquals['AWS:SourceArn'])).toBe(true);
      expect(asArray(s.Action).every((a) => a === 's3:GetObject' || a === 's3:ListBucket')).toBe(true);
    }
  });
});

describe('CloudFront permissions on the API function', () => {
  const permissions = () =>
    ofType('AWS::Lambda::Permission')
      .map(([, p]) => p.Properties)
      .filter((p) => refersTo(p.FunctionName, 'ApiLambdaFunction'));

  it('grants exactly InvokeFunctionUrl (AWS_IAM) and InvokeFunction to this distribution', () => {
    const granted = permissions();
    expect(granted.map((p) => p.Action).sort()).toEqual([
      'lambda:InvokeFunction',
      'lambda:InvokeFunctionUrl',
    ]);
    for (const p of granted) {
      expect(p.Principal).toBe('cloudfront.amazonaws.com');
      expect(isDistributionArn(p.SourceArn)).toBe(true);
    }
    expect(granted.find((p) => p.Action === 'lambda:InvokeFunctionUrl').FunctionUrlAuthType).toBe('AWS_IAM');
    expect(granted.find((p) => p.Action === 'lambda:InvokeFunction').InvokedViaFunctionUrl).toBe(true);
  });

  it('grants nothing to any other principal', () => {
    for (const [, p] of ofType('AWS::Lambda::Permission')) {
      expect(p.Properties.Principal).toBe('cloudfront.amazonaws.com');
    }
  });
});

describe('outputs', () => {
  it('give the CloudFront domain and the function URL', () => {
    const outputs = template.Outputs;
    expect(outputs.CloudFrontDomain.Value).toEqual({ 'Fn::GetAtt': ['Distribution', 'DomainName'] });
    const urlOutput = Object.values<Json>(outputs).find((o) => refersTo(o.Value, 'ApiLambdaFunctionUrl'));
    expect(urlOutput.Value).toEqual({ 'Fn::GetAtt': ['ApiLambdaFunctionUrl', 'FunctionUrl'] });
  });
});
