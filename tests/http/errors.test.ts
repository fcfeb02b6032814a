import { AppError } from '../../lib/errors.js';
import { describeError, ERROR_STATUS } from '../../lib/http/errors.js';

describe('error taxonomy', () => {
  it.each([
    ['EmptyResponse', 204],
    ['IncorrectSignature', 400],
    ['Unauthorized', 401],
    ['NotFound', 404],
    ['MethodNotAllowed', 405],
    ['PayloadTooLarge', 413],
    ['LlmNotConfigured', 503],
  ] as const)('%s maps to %i', (code, status) => {
    expect(describeError(new AppError(code, 'msg')).status).toBe(status);
    expect(ERROR_STATUS[code]).toBe(status);
  });

  it('sends code, message and details of an AppError', () => {
    expect(describeError(new AppError('IncorrectSignature', 'bad field', { field: 'port' }))).toEqual({
      status: 400,
      error: { code: 'IncorrectSignature', message: 'bad field', field: 'port' },
      headers: {},
    });
  });

  it("sends a limit's retryAfterS as the Retry-After header too (whole seconds)", () => {
    const limit = new AppError('TooManyRequests', 'slow down', { limit: 'streams', max: 3, retryAfterS: 5 });
    expect(describeError(limit)).toEqual({
      status: 429,
      error: { code: 'TooManyRequests', message: 'slow down', limit: 'streams', max: 3, retryAfterS: 5 },
      headers: { 'retry-after': '5' },
    });
    const quota = new AppError('QuotaExceeded', 'spent', { retryAfterS: 12.2 });
    expect(describeError(quota).headers).toEqual({ 'retry-after': '13' });
    expect(describeError(new AppError('QuotaExceeded', 'spent')).headers).toEqual({});
  });

  it('never lets details override code or message', () => {
    const { error } = describeError(new AppError('NotFound', 'real', { code: 'Fake', message: 'fake' }));
    expect(error).toEqual({ code: 'NotFound', message: 'real' });
  });

  it('hides the message of any other error behind a generic 500 with the request id', () => {
    const secret = new Error('connect ECONNREFUSED postgres://admin:hunter2@10.0.0.5/db');
    const { status, error } = describeError(secret, 'req-1');
    expect(status).toBe(500);
    expect(error).toEqual({ code: 'Internal', message: 'Internal error (request id req-1)' });
    expect(JSON.stringify(error)).not.toContain('hunter2');
  });
});
