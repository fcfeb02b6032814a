/** A deployed stack's outputs (CloudFormation DescribeStacks), for the deploy and publish scripts. */
export async function stackOutputs(
  stackName: string,
  region: string,
  endpoint?: string,
): Promise<Record<string, string>> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const client = new CloudFormationClient({ region, ...(endpoint ? { endpoint } : {}) });
  try {
    const out = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = out.Stacks?.[0];
    if (!stack) throw new Error(`stack ${stackName} not found in ${region}`);
    return Object.fromEntries(
      (stack.Outputs ?? []).flatMap((o) =>
        o.OutputKey && o.OutputValue ? [[o.OutputKey, o.OutputValue]] : [],
      ),
    );
  } finally {
    client.destroy();
  }
}
