/**
 * Asks the server what a statement returns without running it: Parse + Describe (statement) + Sync on the
 * extended protocol. The columns must be known — and their types resolved in the catalog — before the cursor
 * opens, because an open cursor holds the connection until it is closed.
 * A statement with placeholders (`$1`) is refused here: nothing could bind them.
 */
import type pg from 'pg';
import { parametersNotSupported } from './errors.js';
import type { FieldType } from './type-names.js';

export interface DescribedField extends FieldType {
  name: string;
}

interface ConnectionLike {
  parse(msg: { text: string }): void;
  describe(msg: { type: 'S'; name: string }): void;
  sync(): void;
  once(event: 'parameterDescription', fn: (msg: { dataTypeIDs: number[] }) => void): void;
  removeListener(event: string, fn: (...args: never[]) => void): void;
}

/** A pg Submittable: the client queues it like a query and feeds it the server's messages. */
class Describe {
  readonly done: Promise<DescribedField[]>;
  private fields: DescribedField[] = [];
  private parameters = 0;
  private error: unknown;
  private settle!: (fields: DescribedField[]) => void;
  private fail!: (err: unknown) => void;
  private connection: ConnectionLike | undefined;
  private readonly onParameters = (msg: { dataTypeIDs: number[] }) => {
    this.parameters = msg.dataTypeIDs.length;
  };

  constructor(private readonly text: string) {
    this.done = new Promise((resolve, reject) => {
      this.settle = resolve;
      this.fail = reject;
    });
  }

  submit(connection: ConnectionLike): void {
    this.connection = connection;
    connection.once('parameterDescription', this.onParameters);
    connection.parse({ text: this.text });
    connection.describe({ type: 'S', name: '' });
    connection.sync();
  }

  handleRowDescription(msg: { fields: DescribedField[] }): void {
    this.fields = msg.fields;
  }

  // After an error the client no longer counts this as its active query (ReadyForQuery goes nowhere).
  handleError(err: unknown): void {
    this.error = err;
    this.finish();
  }

  handleReadyForQuery(): void {
    this.finish();
  }

  // Not sent for a Describe, but the client calls these on whatever query is active.
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}

  private finish(): void {
    this.connection?.removeListener('parameterDescription', this.onParameters);
    if (this.error !== undefined) this.fail(this.error);
    else if (this.parameters > 0) {
      this.fail(parametersNotSupported({ parameters: this.parameters }));
    } else this.settle(this.fields);
  }
}

export function describeStatement(client: pg.Client, sql: string): Promise<DescribedField[]> {
  const describe = new Describe(sql);
  client.query(describe as unknown as pg.Submittable);
  return describe.done;
}
