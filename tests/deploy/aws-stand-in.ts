/**
 * Stand-ins for the AWS APIs the deploy scripts call besides S3 (s3rver speaks S3), each speaking the
 * service's real wire protocol so that the real SDK v3 clients work against them with an endpoint override:
 *   - CloudFront (REST-XML, API 2020-05-31): CreateInvalidation, GetInvalidation. An invalidation is
 *     `InProgress` for the first `pollsUntilComplete` status checks, then `Completed`.
 *   - CloudFormation (query protocol, XML answers): DescribeStacks with the outputs given.
 * Every call is pushed to `timeline`, shared with the test so it can check the order of operations.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Invalidation {
  id: string;
  distributionId: string;
  paths: string[];
  polls: number;
}

export interface AwsStandIn {
  url: string;
  invalidations: Invalidation[];
  close(): Promise<void>;
}

const CF_NS = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';
const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function startAwsStandIn(opts: {
  timeline: string[];
  stacks?: Record<string, Record<string, string>>;
  pollsUntilComplete?: number;
}): Promise<AwsStandIn> {
  const invalidations: Invalidation[] = [];
  const server = createServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, xml: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'text/xml', ...headers });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
    };

    const create = /^\/2020-05-31\/distribution\/([^/]+)\/invalidation$/.exec(url.pathname);
    if (create && req.method === 'POST') {
      const paths = [...body.matchAll(/<Path>([^<]*)<\/Path>/g)].map((m) => m[1]!);
      const inv = { id: `I${invalidations.length + 1}`, distributionId: create[1]!, paths, polls: 0 };
      invalidations.push(inv);
      opts.timeline.push(`cloudfront:CreateInvalidation ${paths.join(' ')}`);
      return send(201, invalidationXml(inv, 'InProgress'), {
        location: `https://cloudfront.amazonaws.com/2020-05-31/distribution/${inv.distributionId}/invalidation/${inv.id}`,
      });
    }
    const get = /^\/2020-05-31\/distribution\/([^/]+)\/invalidation\/([^/]+)$/.exec(url.pathname);
    if (get && req.method === 'GET') {
      const inv = invalidations.find((i) => i.id === get[2] && i.distributionId === get[1]);
      if (!inv)
        return send(404, errorXml('NoSuchInvalidation', 'The specified invalidation does not exist.'));
      inv.polls++;
      const status = inv.polls > (opts.pollsUntilComplete ?? 1) ? 'Completed' : 'InProgress';
      opts.timeline.push(`cloudfront:GetInvalidation ${status}`);
      return send(200, invalidationXml(inv, status));
    }
    if (req.method === 'POST' && url.pathname === '/') {
      const form = new URLSearchParams(body);
      if (form.get('Action') === 'DescribeStacks') {
        const name = form.get('StackName') ?? '';
        opts.timeline.push(`cloudformation:DescribeStacks ${name}`);
        const outputs = opts.stacks?.[name];
        if (!outputs) {
          return send(
            400,
            `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${xmlEscape(name)} does not exist</Message></Error><RequestId>r1</RequestId></ErrorResponse>`,
          );
        }
        const members = Object.entries(outputs)
          .map(
            ([k, v]) =>
              `<member><OutputKey>${xmlEscape(k)}</OutputKey><OutputValue>${xmlEscape(v)}</OutputValue></member>`,
          )
          .join('');
        return send(
          200,
          `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${xmlEscape(name)}</StackName><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/${xmlEscape(name)}/1</StackId><CreationTime>2026-12-01T00:00:00Z</CreationTime><StackStatus>UPDATE_COMPLETE</StackStatus><Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></DescribeStacksResponse>`,
        );
      }
    }
    send(400, errorXml('InvalidAction', `unsupported ${req.method} ${url.pathname}`));
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    invalidations,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function invalidationXml(inv: Invalidation, status: string): string {
  const items = inv.paths.map((p) => `<Path>${xmlEscape(p)}</Path>`).join('');
  return `<Invalidation xmlns="${CF_NS}"><Id>${inv.id}</Id><Status>${status}</Status><CreateTime>2026-12-01T00:00:00Z</CreateTime><InvalidationBatch><Paths><Quantity>${inv.paths.length}</Quantity><Items>${items}</Items></Paths><CallerReference>ref</CallerReference></InvalidationBatch></Invalidation>`;
}

const errorXml = (code: string, message: string) =>
  `<ErrorResponse xmlns="${CF_NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>r1</RequestId></ErrorResponse>`;
