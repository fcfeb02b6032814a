import { awslambdaGlobal, installLambdaGlobals } from '../../lib/local/lambda-runtime.js';

describe('installLambdaGlobals', () => {
  it('completes an `awslambda` object that something else (the AWS SDK) created first', () => {
    const g = globalThis as { awslambda?: Record<string, unknown> };
    const previous = g.awslambda;
    const early = { InvokeStore: 'set by @aws/lambda-invoke-store' };
    g.awslambda = early;
    try {
      installLambdaGlobals();
      expect(g.awslambda).toBe(early);
      expect(g.awslambda.streamifyResponse).toBe(awslambdaGlobal.streamifyResponse);
      expect(g.awslambda.HttpResponseStream).toBe(awslambdaGlobal.HttpResponseStream);
      expect(g.awslambda.InvokeStore).toBe('set by @aws/lambda-invoke-store');
    } finally {
      g.awslambda = previous;
    }
  });
});
