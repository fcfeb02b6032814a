/** Reading a generated CloudFormation template the way CloudFormation would: references, conditions, IAM. */
type Json = any;

export const asArray = <T>(v: T | T[] | undefined): T[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

export class Template {
  readonly resources: Record<string, Json>;

  constructor(readonly raw: Json) {
    this.resources = raw.Resources;
  }

  ofType(type: string): [string, Json][] {
    return Object.entries(this.resources).filter(([, r]) => r.Type === type);
  }

  props(logicalId: string): Json {
    const r = this.resources[logicalId];
    if (!r) throw new Error(`no resource ${logicalId}`);
    return r.Properties;
  }

  /** Whether a condition holds for this template's (already substituted) params. */
  condition(name: string): boolean {
    const c = this.raw.Conditions?.[name];
    if (c === undefined) throw new Error(`no condition ${name}`);
    return Boolean(this.evaluate(c));
  }

  /** True when the resource exists in a deployment of this template (no condition, or a true one). */
  exists(logicalId: string): boolean {
    const r = this.resources[logicalId];
    return Boolean(r) && (r.Condition === undefined || this.condition(r.Condition));
  }

  /** The value with every Fn::If decided and AWS::NoValue dropped (what CloudFormation would deploy). */
  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v)).filter((v) => v !== NO_VALUE);
    if (!value || typeof value !== 'object') return value;
    if (value.Ref === 'AWS::NoValue') return NO_VALUE;
    if (Array.isArray(value['Fn::If'])) {
      const [name, yes, no] = value['Fn::If'];
      return this.resolve(this.condition(name) ? yes : no);
    }
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      const r = this.resolve(v);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }

  private evaluate(c: Json): unknown {
    if (typeof c !== 'object' || c === null) return c;
    if ('Condition' in c) return this.condition(c.Condition);
    if ('Fn::Equals' in c) {
      const [a, b] = c['Fn::Equals'].map((v: Json) => this.evaluate(v));
      return String(a) === String(b); // CloudFormation compares the string forms
    }
    if ('Fn::Not' in c) return !this.evaluate(c['Fn::Not'][0]);
    if ('Fn::And' in c) return c['Fn::And'].every((v: Json) => this.evaluate(v));
    if ('Fn::Or' in c) return c['Fn::Or'].some((v: Json) => this.evaluate(v));
    throw new Error(`cannot evaluate ${JSON.stringify(c)}`);
  }

  /** Every IAM statement of a role: inline policies and AWS::IAM::Policy resources attached to it. */
  roleStatements(roleId: string): Json[] {
    const inline = asArray(this.props(roleId).Policies).flatMap((p: Json) =>
      asArray(p.PolicyDocument.Statement),
    );
    const attached = this.ofType('AWS::IAM::Policy')
      .filter(([, p]) => asArray(p.Properties.Roles).some((r: Json) => refersTo(r, roleId)))
      .flatMap(([, p]) => asArray(p.Properties.PolicyDocument.Statement));
    return this.resolve([...inline, ...attached]);
  }

  /** Every policy statement in the template: IAM roles and policies, and resource (key) policies. */
  allStatements(): Json[] {
    const iam = this.ofType('AWS::IAM::Role').flatMap(([id]) => this.roleStatements(id));
    const policies = this.ofType('AWS::IAM::Policy')
      .concat(this.ofType('AWS::IAM::ManagedPolicy'))
      .flatMap(([, p]) => asArray(p.Properties.PolicyDocument.Statement));
    const keyPolicies = this.ofType('AWS::KMS::Key').flatMap(([, k]) =>
      asArray(k.Properties.KeyPolicy.Statement),
    );
    return this.resolve([...iam, ...policies, ...keyPolicies]);
  }
}

const NO_VALUE = Symbol('AWS::NoValue');

/** True when a value points at the resource (Ref, GetAtt, ${Id} / ${Id.Attr} in Fn::Sub, either Fn::If branch). */
export function refersTo(value: Json, logicalId: string): boolean {
  if (!value || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => refersTo(v, logicalId));
  if (value.Ref === logicalId) return true;
  if (Array.isArray(value['Fn::GetAtt']) && value['Fn::GetAtt'][0] === logicalId) return true;
  if (Array.isArray(value['Fn::If']))
    return value['Fn::If'].slice(1).some((v: Json) => refersTo(v, logicalId));
  const sub = value['Fn::Sub'];
  const text = Array.isArray(sub) ? sub[0] : sub;
  return typeof text === 'string' && new RegExp(`\\$\\{${logicalId}[.}]`).test(text);
}

/** Whether an IAM action pattern (`kms:*`, `kms:Gen*`, `*`) covers an action. */
export function actionCovers(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return re.test(action);
}
