// The endpoints table: one item per endpoint, every write conditional on the generation read.
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { delay } from '../async/delay.js';
import { type Endpoint, ingressPathFor, keepImagesConsistent, parseEndpointItem } from '../model/index.js';
import {
  ConflictError,
  classified,
  classifyError,
  isConditionalCheckFailed,
  isMissingTable,
  isTransactionLost,
  NotFoundError,
  type StoreError,
  StoreUnavailableError,
} from './errors.js';
import { type Item, scanPages } from './paging.js';
import type { RevisionsTable } from './revisions-table.js';
import type {
  EndpointChange,
  EndpointRecord,
  ListFilter,
  ListResult,
  NewEndpoint,
  ParseFailure,
  RevisionNote,
} from './types.js';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type EndpointWrite =
  | { Put: NonNullable<TransactItem['Put']> }
  | { Update: NonNullable<TransactItem['Update']> };

function generationOf(raw: Readonly<Item>): number {
  const g = raw.generation;
  return typeof g === 'number' && Number.isFinite(g) ? g : 0;
}

/**
 * What tells two reads of an item apart without reading all of it: every write through the store
 * bumps `generation` and sets `updated_at`; the Python tooling sets `updated_at` only.
 */
export function itemVersion(raw: Readonly<Item>): string {
  return `${String(raw.generation ?? '')}|${String(raw.updated_at ?? '')}`;
}

/** An item as the store reads it (a read, or a stream record's new image unmarshalled). */
export function toRecord(raw: Item): EndpointRecord {
  return {
    name: typeof raw.endpoint_name === 'string' ? raw.endpoint_name : '',
    generation: generationOf(raw),
    raw,
    parsed: parseEndpointItem(raw),
  };
}

const withWarning = (rec: EndpointRecord, warning: string | undefined): EndpointRecord =>
  warning === undefined ? rec : { ...rec, revisionWarning: warning };

const stateOf = (rec: EndpointRecord) => String(rec.raw.desired_state ?? 'deploying');

/** The generation condition: an exact match, or "no generation yet" for legacy items at 0. */
function generationCondition(expected: number): { expr: string; values: Record<string, unknown> } {
  if (expected === 0) {
    return {
      expr: '(attribute_not_exists(generation) OR generation = :expected)',
      values: { ':expected': 0 },
    };
  }
  return { expr: 'generation = :expected', values: { ':expected': expected } };
}

export class EndpointsTable {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: () => Date,
    private readonly revisions?: RevisionsTable,
  ) {}

  /**
   * One endpoint write, with its revision when there is a note and a revisions table: both in one
   * TransactWriteItems, so a generation is never stored without its revision or the reverse.
   * Without the table (a deployment whose infrastructure predates revisions) the endpoint is still
   * written, and the record says why no revision was kept.
   */
  private async write(
    endpointWrite: EndpointWrite,
    next: Item,
    note: RevisionNote | undefined,
  ): Promise<{ attributes?: Item; revisionWarning?: string }> {
    const plain = async (): Promise<{ attributes?: Item }> => {
      if ('Put' in endpointWrite) {
        await this.doc.send(new PutCommand(endpointWrite.Put));
        return { attributes: next };
      }
      const out = await this.doc.send(
        new UpdateCommand({ ...endpointWrite.Update, ReturnValues: 'ALL_NEW' }),
      );
      return out.Attributes ? { attributes: out.Attributes } : {};
    };
    if (!this.revisions || !note) return plain();
    const revisions = this.revisions;
    const now = this.clock();
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            endpointWrite,
            { Put: { TableName: revisions.table, Item: revisions.item(next, note, now) } },
          ],
        }),
      );
    } catch (err) {
      if (!isMissingTable(err) || !(await this.tableExists())) throw err;
      const result = await plain();
      return {
        ...result,
        revisionWarning: `revision not recorded: table ${revisions.table} does not exist (create it: inferctl init, or infra/tables.yaml)`,
      };
    }
    // Keeping the history bounded is housekeeping: a failed prune leaves one revision too many,
    // which the next write's prune (or the TTL) removes; the write itself has succeeded.
    await revisions.prune(String(next.endpoint_name), Number(next.generation)).catch(() => 0);
    return { attributes: next };
  }

  /** Whether the endpoints table exists: tells a missing revisions table from a missing endpoints table. */
  private async tableExists(): Promise<boolean> {
    try {
      // Any key answers; a dot is never in an endpoint name, and an empty key would be refused.
      await this.doc.send(new GetCommand({ TableName: this.table, Key: { endpoint_name: '.probe' } }));
      return true;
    } catch (err) {
      return !isMissingTable(err);
    }
  }

  /**
   * Runs a conditional write. When its condition fails, the item is read again so the error says
   * what the writer lost to (`lost` gets undefined when the item is gone or cannot be read).
   */
  private async conditional<T>(
    operation: string,
    name: string,
    write: () => Promise<T>,
    lost: (now: EndpointRecord | undefined, cause: unknown) => StoreError,
  ): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (!isConditionalCheckFailed(err) && !isTransactionLost(err))
        throw classifyError(err, operation, this.table);
      const now = await this.get(name).catch(() => undefined);
      throw lost(now, err);
    }
  }

  async create(input: NewEndpoint, note?: RevisionNote): Promise<EndpointRecord> {
    const now = this.clock().toISOString();
    const item: Item = {
      endpoint_name: input.name,
      desired_state: input.desiredState ?? 'deploying',
      target_regions: [...new Set(input.targetRegions)].sort(),
      namespace: input.namespace,
      spec: input.spec,
      ingress_path: input.ingressPath ?? ingressPathFor(input.name),
      labels: { ...(input.labels ?? {}) },
      created_at: now,
      updated_at: now,
      generation: 1,
    };
    if (input.createdBy !== undefined) item.created_by = input.createdBy;
    const written = await this.conditional(
      'PutItem',
      input.name,
      () =>
        this.write(
          {
            Put: {
              TableName: this.table,
              Item: item,
              ConditionExpression: 'attribute_not_exists(endpoint_name)',
            },
          },
          item,
          note,
        ),
      (existing, cause) =>
        new ConflictError(
          `endpoint ${input.name} already exists${existing ? ` (generation ${existing.generation}, ${stateOf(existing)})` : ''}`,
          existing
            ? { endpointName: input.name, actualGeneration: existing.generation }
            : { endpointName: input.name },
          { cause },
        ),
    );
    return withWarning(toRecord(item), written.revisionWarning);
  }

  async get(name: string): Promise<EndpointRecord | undefined> {
    const out = await classified('GetItem', this.table, () =>
      this.doc.send(
        new GetCommand({ TableName: this.table, Key: { endpoint_name: name }, ConsistentRead: true }),
      ),
    );
    return out.Item ? toRecord(out.Item) : undefined;
  }

  async require(name: string): Promise<EndpointRecord> {
    const rec = await this.get(name);
    if (!rec) throw new NotFoundError(name);
    return rec;
  }

  async list(filter: ListFilter = {}): Promise<ListResult> {
    const endpoints: Endpoint[] = [];
    const failures: ParseFailure[] = [];
    let pages = 0;
    for await (const items of scanPages(
      this.doc,
      this.table,
      filter.pageSize !== undefined ? { Limit: filter.pageSize } : {},
    )) {
      pages++;
      for (const raw of items) {
        const parsed = parseEndpointItem(raw);
        if (!parsed.ok) {
          failures.push({ name: parsed.name, error: parsed.error, raw });
          continue;
        }
        const e = parsed.value;
        if (filter.desiredState !== undefined && e.desiredState !== filter.desiredState) continue;
        if (filter.region !== undefined && !e.targetRegions.includes(filter.region)) continue;
        endpoints.push(e);
      }
    }
    endpoints.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { endpoints, failures, pages };
  }

  /**
   * Every endpoint's name and version (`itemVersion`), from a paginated Scan that projects only
   * those attributes: the resync compares them with what it holds and reads only what differs.
   */
  async scanVersions(
    options: { pageSize?: number } = {},
  ): Promise<{ versions: Map<string, string>; pages: number }> {
    // Small pages by default (DynamoDB's advice for scans beside live traffic): each request is
    // short, so the table serves other requests (status writes, the change feed's reads) between
    // pages instead of behind one long read. On the local server a 10 000-item page took 5.5 s.
    const pageSize = options.pageSize ?? 250;
    const versions = new Map<string, string>();
    let pages = 0;
    for await (const items of scanPages(this.doc, this.table, {
      ProjectionExpression: '#n, #g, #u',
      ExpressionAttributeNames: { '#n': 'endpoint_name', '#g': 'generation', '#u': 'updated_at' },
      Limit: pageSize,
    })) {
      pages++;
      for (const raw of items) {
        if (typeof raw.endpoint_name === 'string') versions.set(raw.endpoint_name, itemVersion(raw));
      }
    }
    return { versions, pages };
  }

  /**
   * Reads many items (BatchGetItem, 100 keys a request, consistent); a name with no item maps to
   * undefined. Unprocessed keys (throttling) are asked for again with backoff.
   */
  async getMany(names: readonly string[]): Promise<Map<string, EndpointRecord | undefined>> {
    const table = this.table;
    const out = new Map<string, EndpointRecord | undefined>();
    for (let i = 0; i < names.length; i += 100) {
      let keys: Item[] = names.slice(i, i + 100).map((n) => ({ endpoint_name: n }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt >= 8)
          throw new StoreUnavailableError(`${keys.length} keys still unprocessed after ${attempt} attempts`, {
            operation: 'BatchGetItem',
            table,
          });
        if (attempt > 0) await delay(Math.min(50 * 2 ** attempt, 2000));
        const res = await classified('BatchGetItem', table, () =>
          this.doc.send(
            new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } }),
          ),
        );
        for (const raw of res.Responses?.[table] ?? []) {
          const rec = toRecord(raw);
          out.set(rec.name, rec);
        }
        keys = (res.UnprocessedKeys?.[table]?.Keys ?? []) as Item[];
      }
    }
    for (const n of names) if (!out.has(n)) out.set(n, undefined);
    return out;
  }

  async update(
    name: string,
    expectedGeneration: number,
    change: EndpointChange,
    note?: RevisionNote,
  ): Promise<EndpointRecord> {
    const current = await this.require(name);
    // The same conflict as the conditional write's below, found earlier: the same words, so which
    // of the two a race lands on is invisible to the user.
    if (current.generation !== expectedGeneration)
      throw concurrentChange(name, expectedGeneration, current.generation);
    // The item as it will be: the condition below guarantees it is `current` plus these fields.
    const fields: Item = { generation: expectedGeneration + 1, updated_at: this.clock().toISOString() };
    if (change.spec !== undefined) fields.spec = keepImagesConsistent(current.raw.spec, change.spec);
    if (change.targetRegions !== undefined) fields.target_regions = [...new Set(change.targetRegions)].sort();
    if (change.desiredState !== undefined) fields.desired_state = change.desiredState;
    if (change.namespace !== undefined) fields.namespace = change.namespace;
    if (change.labels !== undefined) fields.labels = { ...change.labels };
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = Object.entries(fields).map(([k, v], i) => {
      names[`#f${i}`] = k;
      values[`:f${i}`] = v;
      return `#f${i} = :f${i}`;
    });
    const cond = generationCondition(expectedGeneration);
    const written = await this.conditional(
      'UpdateItem',
      name,
      () =>
        this.write(
          {
            Update: {
              TableName: this.table,
              Key: { endpoint_name: name },
              UpdateExpression: `SET ${sets.join(', ')}`,
              ConditionExpression: `attribute_exists(endpoint_name) AND ${cond.expr}`,
              ExpressionAttributeValues: { ...values, ...cond.values },
              ExpressionAttributeNames: names,
            },
          },
          { ...current.raw, ...fields },
          note,
        ),
      (now, cause) =>
        now
          ? concurrentChange(name, expectedGeneration, now.generation, cause)
          : new NotFoundError(name, `endpoint ${name} was deleted while being updated`),
    );
    return withWarning(toRecord(written.attributes ?? {}), written.revisionWarning);
  }

  async purge(name: string, expectedGeneration: number): Promise<void> {
    const cond = generationCondition(expectedGeneration);
    await this.conditional(
      'DeleteItem',
      name,
      () =>
        this.doc.send(
          new DeleteCommand({
            TableName: this.table,
            Key: { endpoint_name: name },
            ConditionExpression: `desired_state = :deleted AND ${cond.expr}`,
            ExpressionAttributeValues: { ':deleted': 'deleted', ...cond.values },
          }),
        ),
      (now, cause) =>
        now
          ? new ConflictError(
              `endpoint ${name} not purged: it must be deleted at generation ${expectedGeneration}, found ${stateOf(now)} at generation ${now.generation}`,
              { endpointName: name, expectedGeneration, actualGeneration: now.generation },
              { cause },
            )
          : new NotFoundError(name, `endpoint ${name} is already gone`),
    );
  }
}

function concurrentChange(name: string, expected: number, found: number, cause?: unknown): ConflictError {
  return new ConflictError(
    `endpoint ${name} was changed concurrently: expected generation ${expected}, found ${found}; re-read and retry`,
    { endpointName: name, expectedGeneration: expected, actualGeneration: found },
    ...(cause !== undefined ? [{ cause }] : []),
  );
}
