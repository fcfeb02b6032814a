/**
 * The real `npm run package` (build + `osls package` offline with dummy credentials), once with the default
 * params and once with every operator param set, then the generated CloudFormation templates and zips are
 * checked for what the stack must guarantee. SEMAIA_PACKAGE_SKIP_BUILD=1 reuses an existing dist/ (e.g.
 * when CI has just built it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableDefinition } from '../../lib/store/table.js';
import { packageStack, type PackageResult } from '../../lib/build/package.js';
import { EDGE_NODE_TARGET } from '../../edge/build.js';
import { actionCovers, asArray, refersTo, Template } from './cfn.js';
import { zipEntries } from './zip-entries.js';

type Json = any;

const root = process.cwd();
let packaged: PackageResult;
let t: Template;
let template: Json;
let resources: Record<string, Json>;
let buildInfo: Json;
let state: Json;
const zips: Record<string, string[]> = {};

/** Every operator param set away from its default (a second packaging, stage prod). */
const CUSTOM_PARAMS = {
  reservedConcurrency: '25',
  wafRateLimit: '500',
  originReadTimeout: '40',
  tableDeletionProtection: 'false',
  existingTableName: 'semaia-prod-Table-1A2B3C4D',
  existingConnectorKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  contentSecurityPolicy:
    "default-src 'self'; connect-src 'self' https://securetoken.googleapis.com; frame-ancestors 'none'",
  apiRuntime: 'nodejs24.x',
};
let custom: Template;
let customBuildInfo: Json;

beforeAll(async () => {
  packaged = await packageStack({
    root,
    build: process.env.SEMAIA_PACKAGE_SKIP_BUILD !== '1',
    stdio: 'pipe',
  });
  template = JSON.parse(readFileSync(packaged.templatePath, 'utf8'));
  t = new Template(template);
  resources = template.Resources;
  buildInfo = JSON.parse(readFileSync(join(root, 'dist', 'edge', 'build-info.json'), 'utf8'));
  // osls clears .serverless on its next run: read what the zips hold now.
  state = JSON.parse(readFileSync(join(packaged.outDir, 'serverless-state.json'), 'utf8'));
  for (const zip of ['api', 'edge', 'edgeOrigin'])
    zips[zip] = zipEntries(join(packaged.outDir, `${zip}.zip`));

  // Another stage rebuilds the edge (its proof-key parameter is named after the stage); the default
  // template above has been read already.
  const second = await packageStack({
    root,
    build: false,
    stage: 'prod',
    params: CUSTOM_PARAMS,
    outDir: '.tmp/package-params',
    stdio: 'pipe',
  });
  custom = new Template(JSON.parse(readFileSync(second.templatePath, 'utf8')));
  customBuildInfo = JSON.parse(readFileSync(join(root, 'dist', 'edge', 'build-info.json'), 'utf8'));
}, 300_000);

const ofType = (type: string) => t.ofType(type);
const props = (logicalId: string) => t.props(logicalId);

/** The distribution's ARN as the permissions and the bucket policy must name it. */
const isDistributionArn = (value: Json) =>
  refersTo(value, 'Distribution') &&
  /:cloudfront::\$\{AWS::AccountId\}:distribution\/\$\{Distribution\}$/.test(value['Fn::Sub']);

describe('packaging', () => {
  it('targets us-east-1 and zips only the built bundles', () => {
    expect(state.service.provider.region).toBe('us-east-1');

    const api = zips.api!;
    expect(api).toContain('dist/api/index.mjs');
    expect(api.every((f) => f.startsWith('dist/api/') && !f.endsWith('.map'))).toBe(true);
    const viewer = zips.edge!;
    expect(viewer).toContain('dist/edge/viewer/index.js');
    expect(viewer.every((f) => f.startsWith('dist/edge/viewer/'))).toBe(true);
    const origin = zips.edgeOrigin!;
    expect(origin).toContain('dist/edge/origin/index.js');
    expect(origin.every((f) => f.startsWith('dist/edge/origin/'))).toBe(true);
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
    // The parameters the function may read are the ones it is told about: the Gemini key, the proof key.
    const readable = roleStatements()
      .filter((s) => asArray(s.Action).includes('ssm:GetParameter'))
      .flatMap((s) => asArray<Json>(s.Resource).map((r) => r['Fn::Sub']));
    expect(readable.sort()).toEqual(
      [env.GEMINI_API_KEY_PARAM, env.USER_PROOF_KEY_PARAM]
        .map((name) => `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${name}`)
        .sort(),
    );
  });

  it('gets the body limit and the proof key from the edge build, and the JSON deadline from its param', () => {
    const env = props('ApiLambdaFunction').Environment.Variables;
    // One setting both read: the value baked into the origin-request function is the API's limit.
    expect(Number(env.MAX_BODY_BYTES)).toBe(buildInfo.maxBodyBytes);
    expect(buildInfo.maxBodyBytes).toBeGreaterThanOrEqual(900 * 1024);
    expect(env.USER_PROOF_KEY_PARAM).toBe(buildInfo.userProofKeyParam);
    expect(env.USER_PROOF_KEY_PARAM).toBe('/semaia/dev/user-proof-key');
    expect(env.ORIGIN_READ_TIMEOUT_MS).toBe('55000');
  });

  it('has no reserved concurrency unless asked for', () => {
    expect(props('ApiLambdaFunction').ReservedConcurrentExecutions).toBeUndefined();
  });
});

/** Every IAM statement that applies to the API function's role (inline and attached policies). */
const roleStatements = () => t.roleStatements('ApiFunctionRole');

describe('API function role', () => {
  it('is the only role besides the edge role (no framework default role with broader rights)', () => {
    expect(
      ofType('AWS::IAM::Role')
        .map(([id]) => id)
        .sort(),
    ).toEqual(['ApiFunctionRole', 'EdgeFunctionRole', 'EdgeOriginFunctionRole']);
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
});

/** Statements that let someone use the connector key for data keys (any wildcard, key ARN or `*`). */
function dataKeyGrantsOnConnectorKey(tpl: Template, keyArn?: string): Json[] {
  return tpl.allStatements().filter((s) => {
    if (s.Effect !== 'Allow') return false;
    const actions = asArray<string>(s.Action);
    const usesKey = ['kms:Decrypt', 'kms:GenerateDataKey'].some((a) =>
      actions.some((p) => actionCovers(p, a)),
    );
    const resources = asArray<Json>(s.Resource);
    const onKey = resources.some((r) => r === '*' || refersTo(r, 'ConnectorKey') || (keyArn && r === keyArn));
    return usesKey && onKey && !isAccountRootDelegation(s);
  });
}

/** The key policy's `kms:*` for the account root: it only lets IAM policies decide (checked below). */
const isAccountRootDelegation = (s: Json) =>
  /:iam::\$\{AWS::AccountId\}:root$/.test(s.Principal?.AWS?.['Fn::Sub'] ?? '');

const boundToContext = (s: Json) =>
  [...(s.Condition?.['ForAllValues:StringEquals']?.['kms:EncryptionContextKeys'] ?? [])].sort().join() ===
    'connectorId,uid' && s.Condition?.Null?.['kms:EncryptionContextKeys'] === 'false';

describe('connector key (KMS)', () => {
  it('has a key policy that only delegates to the account: it names no role', () => {
    const key = props('ConnectorKey');
    expect(key.EnableKeyRotation).toBe(true);
    const statements = asArray<Json>(key.KeyPolicy.Statement);
    expect(statements.every(isAccountRootDelegation)).toBe(true);
    expect(JSON.stringify(key.KeyPolicy)).not.toMatch(/ApiFunctionRole|Edge\w*Role/);
  });

  it('is usable for data keys only under a {uid, connectorId} encryption context, in every grant', () => {
    const grants = dataKeyGrantsOnConnectorKey(t);
    expect(grants.length).toBeGreaterThan(0);
    for (const s of grants)
      expect({ sid: s.Sid, bound: boundToContext(s) }).toEqual({ sid: s.Sid, bound: true });
    // The API role has such a grant (it could not encrypt passwords otherwise).
    expect(
      roleStatements()
        .filter((s) => refersTo(s.Resource, 'ConnectorKey'))
        .every(boundToContext),
    ).toBe(true);
  });

  it("keeps the condition when an earlier stack's key is reused", () => {
    const grants = dataKeyGrantsOnConnectorKey(custom, CUSTOM_PARAMS.existingConnectorKeyArn);
    expect(grants.length).toBeGreaterThan(0);
    expect(grants.every(boundToContext)).toBe(true);
    expect(custom.exists('ConnectorKey')).toBe(false);
    expect(custom.resolve(custom.props('ApiLambdaFunction').Environment.Variables.KMS_KEY_ID)).toBe(
      CUSTOM_PARAMS.existingConnectorKeyArn,
    );
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
  });

  it('is protected from deletion, retained on removal, and named by CloudFormation', () => {
    expect(t.exists('Table')).toBe(true);
    const table = props('Table');
    expect(table.DeletionProtectionEnabled).toBe(true);
    expect(resources.Table.DeletionPolicy).toBe('Retain');
    // A fixed name would collide with the retained table on the next deploy after a removal.
    expect(table.TableName).toBeUndefined();
    expect(refersTo(t.resolve(props('ApiLambdaFunction').Environment.Variables.TABLE_NAME), 'Table')).toBe(
      true,
    );
  });

  it("can be an earlier stack's retained table instead (existingTableName), with the same rights", () => {
    expect(custom.exists('Table')).toBe(false);
    const env = custom.resolve(custom.props('ApiLambdaFunction').Environment.Variables);
    expect(env.TABLE_NAME).toBe(CUSTOM_PARAMS.existingTableName);
    const dynamo = custom
      .roleStatements('ApiFunctionRole')
      .filter((s: Json) => asArray<string>(s.Action).some((a) => a.startsWith('dynamodb:')));
    const arns = dynamo.flatMap((s: Json) => asArray<Json>(s.Resource).map((r) => r['Fn::Sub']));
    expect(arns.sort()).toEqual([
      `arn:\${AWS::Partition}:dynamodb:\${AWS::Region}:\${AWS::AccountId}:table/${CUSTOM_PARAMS.existingTableName}`,
      `arn:\${AWS::Partition}:dynamodb:\${AWS::Region}:\${AWS::AccountId}:table/${CUSTOM_PARAMS.existingTableName}/index/*`,
    ]);
  });

  it('turns deletion protection off only when asked', () => {
    expect(props('Table').DeletionProtectionEnabled).toBe(true);
    // (The custom stack reuses a table, but its template still carries the definition with the param.)
    expect(String(custom.props('Table').DeletionProtectionEnabled)).toBe('false');
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
    expect(apiOrigin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only' });
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

  it('never re-sends a slow request, and waits 5 s longer than a JSON route may take', () => {
    const apiOrigin = origin(apiBehavior().TargetOriginId);
    expect(apiOrigin.ConnectionAttempts).toBe(1);
    expect(apiOrigin.ConnectionTimeout).toBeLessThanOrEqual(10);
    expect(apiOrigin.CustomOriginConfig.OriginReadTimeout).toBe(60);
    const env = props('ApiLambdaFunction').Environment.Variables;
    expect(Number(env.ORIGIN_READ_TIMEOUT_MS)).toBe(55_000);

    // Both from the one param `originReadTimeout`.
    const customOrigin = custom
      .props('Distribution')
      .DistributionConfig.Origins.find((o: Json) => o.Id === apiOrigin.Id);
    expect(customOrigin.CustomOriginConfig.OriginReadTimeout).toBe(45);
    expect(custom.props('ApiLambdaFunction').Environment.Variables.ORIGIN_READ_TIMEOUT_MS).toBe('40000');
    // Out-of-range values stop the packaging with the reason (CloudFront's limit is 60 s).
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS, as osls loads it
    const { originTimeouts } = require('../../lib/build/origin-timeouts.cjs') as {
      originTimeouts: (raw: unknown) => unknown;
    };
    for (const bad of ['56', '60', '4', 'abc', ''])
      expect(() => originTimeouts(bad)).toThrow(/originReadTimeout/);
  });

  it('runs the authorizer on viewer-request (no body) and the body hash + user proof on origin-request', () => {
    const associations = apiBehavior().LambdaFunctionAssociations;
    expect(associations.map((a: Json) => a.EventType).sort()).toEqual(['origin-request', 'viewer-request']);
    const viewer = associations.find((a: Json) => a.EventType === 'viewer-request');
    expect(viewer.IncludeBody ?? false).toBe(false);
    const originAssoc = associations.find((a: Json) => a.EventType === 'origin-request');
    expect(originAssoc.IncludeBody).toBe(true);

    for (const [assoc, fn, info] of [
      [viewer, 'EdgeLambdaFunction', buildInfo.viewer],
      [originAssoc, 'EdgeOriginLambdaFunction', buildInfo.origin],
    ]) {
      const version = resources[assoc.LambdaFunctionARN.Ref];
      expect(version.Type).toBe('AWS::Lambda::Version');
      expect(refersTo(version.Properties.FunctionName, fn)).toBe(true);
      // A new version is published whenever the built code changes.
      expect(version.Properties.Description).toContain(info.sha256);
      expect(version.DeletionPolicy).toBe('Retain');
    }
  });

  it('keeps both edge functions within Lambda@Edge rules, on their own explicit runtime', () => {
    const limits = { EdgeLambdaFunction: [128, 5], EdgeOriginLambdaFunction: [10_240, 30] } as const;
    for (const [id, [memory, timeout]] of Object.entries(limits)) {
      const fn = props(id);
      expect(fn.Environment).toBeUndefined();
      expect(fn.Layers).toBeUndefined();
      expect(fn.VpcConfig).toBeUndefined();
      expect(fn.MemorySize).toBeLessThanOrEqual(memory);
      expect(fn.Timeout).toBeLessThanOrEqual(timeout);
      expect(fn.Architectures).toEqual(['x86_64']);
      // What the bundles were built for, even when the API moves to another runtime.
      expect(fn.Runtime).toBe(`nodejs${EDGE_NODE_TARGET.slice(4)}.x`);
      expect(custom.props(id).Runtime).toBe(fn.Runtime);
    }
    expect(props('EdgeLambdaFunction').Handler).toBe('dist/edge/viewer/index.handler');
    expect(props('EdgeOriginLambdaFunction').Handler).toBe('dist/edge/origin/index.handler');
    expect(custom.props('ApiLambdaFunction').Runtime).toBe('nodejs24.x');
    for (const role of ['EdgeFunctionRole', 'EdgeOriginFunctionRole']) {
      const trust = props(role).AssumeRolePolicyDocument.Statement[0].Principal.Service;
      expect([...trust].sort()).toEqual(['edgelambda.amazonaws.com', 'lambda.amazonaws.com']);
    }
  });

  it('lets the viewer function only log, and the origin function also read the proof key', () => {
    const actions = (role: string) => t.roleStatements(role).flatMap((s: Json) => asArray<string>(s.Action));
    expect(new Set(actions('EdgeFunctionRole'))).toEqual(
      new Set(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']),
    );
    const origin = t.roleStatements('EdgeOriginFunctionRole');
    const ssm = origin.filter((s: Json) => asArray(s.Action).includes('ssm:GetParameter'));
    expect(ssm.map((s: Json) => s.Resource['Fn::Sub'])).toEqual([
      `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${buildInfo.userProofKeyParam}`,
    ]);
    const kms = origin.filter((s: Json) => asArray(s.Action).includes('kms:Decrypt'));
    expect(kms).toHaveLength(1);
    expect(kms[0].Condition['ForAnyValue:StringEquals']['kms:ResourceAliases']).toBe('alias/aws/ssm');
    // Another stage's build names its own parameter, and the API reads the same one.
    expect(customBuildInfo.userProofKeyParam).toBe('/semaia/prod/user-proof-key');
    expect(custom.props('ApiLambdaFunction').Environment.Variables.USER_PROOF_KEY_PARAM).toBe(
      '/semaia/prod/user-proof-key',
    );
  });

  it("adds security headers to both behaviours, with a strict CSP by default and the operator's when given", () => {
    const config = distribution();
    const ids = [config.DefaultCacheBehavior, apiBehavior()].map((b: Json) => b.ResponseHeadersPolicyId);
    expect(ids.every((id: Json) => id && id.Ref === ids[0].Ref)).toBe(true);
    const policy = props(ids[0].Ref).ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(policy.StrictTransportSecurity).toMatchObject({ IncludeSubdomains: true, Override: true });
    expect(policy.StrictTransportSecurity.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(31_536_000);
    expect(policy.ContentTypeOptions).toEqual({ Override: true });
    expect(policy.FrameOptions).toMatchObject({ FrameOption: 'DENY' });
    expect(policy.ReferrerPolicy.ReferrerPolicy).toBe('strict-origin-when-cross-origin');
    const csp: string = policy.ContentSecurityPolicy.ContentSecurityPolicy;
    for (const directive of [
      "default-src 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
      "base-uri 'none'",
    ]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    const customPolicy = custom.props(ids[0].Ref).ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(customPolicy.ContentSecurityPolicy.ContentSecurityPolicy).toBe(
      CUSTOM_PARAMS.contentSecurityPolicy,
    );
  });

  it('has no WAF by default; with wafRateLimit a CLOUDFRONT web ACL rate-limits /api/* per IP with 429', () => {
    expect(t.exists('ApiWebAcl')).toBe(false);
    expect(t.resolve(distribution()).WebACLId).toBeUndefined();

    expect(custom.exists('ApiWebAcl')).toBe(true);
    const dist = custom.resolve(custom.props('Distribution').DistributionConfig);
    expect(dist.WebACLId).toEqual({ 'Fn::GetAtt': ['ApiWebAcl', 'Arn'] });
    const acl = custom.props('ApiWebAcl');
    expect(acl.Scope).toBe('CLOUDFRONT');
    expect(acl.DefaultAction).toEqual({ Allow: {} });
    const [rule] = acl.Rules;
    const rate = rule.Statement.RateBasedStatement;
    expect(Number(rate.Limit)).toBe(500);
    expect(rate.AggregateKeyType).toBe('IP');
    expect(rate.ScopeDownStatement.ByteMatchStatement).toMatchObject({
      FieldToMatch: { UriPath: {} },
      PositionalConstraint: 'STARTS_WITH',
      SearchString: '/api/',
    });
    const response = rule.Action.Block.CustomResponse;
    expect(response.ResponseCode).toBe(429);
    const body = JSON.parse(acl.CustomResponseBodies[response.CustomResponseBodyKey].Content);
    expect(body.error.code).toBe('TooManyRequests');
  });

  it('reserves concurrency when asked', () => {
    expect(Number(custom.props('ApiLambdaFunction').ReservedConcurrentExecutions)).toBe(25);
  });

  it('serves the SPA from the private bucket by OAC, rewriting client-side routes only', () => {
    const config = distribution();
    expect(config.HttpVersion).toBe('http2and3');
    expect(config.PriceClass).toBe('PriceClass_100');
    expect(custom.props('Distribution').DistributionConfig.PriceClass).toBe('PriceClass_All'); // prod
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
    // Removal must not fail on a non-empty bucket, and a retained one must not block the next deploy.
    expect(resources.SpaBucket.DeletionPolicy).toBe('Retain');
    expect(bucket.BucketName).toBeUndefined();
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
