import { AppError } from '../../lib/errors.js';

/** The AppError a promise rejects with (the test fails if it resolves or rejects with anything else). */
export async function rejectionOf(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}
