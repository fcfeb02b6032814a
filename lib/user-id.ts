/**
 * The one definition of a valid user id, imported by the API (event normalization), the store (key
 * builders) and the edge authorizer (the token's `sub`). User ids become part of DynamoDB keys
 * (`USER#<uid>#...`): a `#`, a separator or a control character could forge another user's key, so
 * anything outside this set is no user at all.
 */
const USER_ID_PATTERN = /^[A-Za-z0-9_.:@|+=-]{1,128}$/;

export const isValidUserId = (uid: unknown): uid is string =>
  typeof uid === 'string' && USER_ID_PATTERN.test(uid);
