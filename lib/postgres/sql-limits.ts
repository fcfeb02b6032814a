/** The largest SQL text a user may send to /query or /explain (the model's own cap is in model/tools.ts). */
export const MAX_SQL_CHARS = 100_000;
