/**
 * Event ids of a reply's stream: `<messageId>:<seq>:<chars>`. `seq` numbers the reply's events from 0 (the
 * `chat` event); `chars` is the length (UTF-16 code units) of the reply's text once the event is applied.
 * Together they name a position in the reply, so a client can resume from ANY id it received, live or
 * resumed: it has every event up to `seq` and the text up to `chars`. Pure.
 */

export interface Position {
  seq: number;
  chars: number;
}

export const START: Position = { seq: -1, chars: 0 };

export function formatEventId(messageId: string, at: Position): string {
  return `${messageId}:${at.seq}:${at.chars}`;
}

/** The position an id names in this message, or undefined when it is not one of this message's ids. */
export function parseEventId(id: string | undefined, messageId: string): Position | undefined {
  if (!id) return undefined;
  const m = /^([0-9A-Za-z_-]{1,64}):(\d{1,9}):(\d{1,9})$/.exec(id.trim());
  if (!m || m[1] !== messageId) return undefined;
  return { seq: Number(m[2]), chars: Number(m[3]) };
}
