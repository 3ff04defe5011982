// The revisions table: one item per endpoint generation written through the CLI, so any of the last
// REVISIONS_KEPT generations can be listed and restored (docs/decisions/0009-revisions.md).
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { classified } from './errors.js';
import { type Item, queryPages } from './paging.js';
import { REVISIONS_TTL_ATTRIBUTE } from './tables.js';
import type { Revision, RevisionNote } from './types.js';

/** Generations kept per endpoint; older ones are deleted by the write that pushes them out. */
export const REVISIONS_KEPT = 10;

/**
 * How long a revision lives without being pruned: the TTL only catches what the explicit prune
 * cannot reach (revisions of purged endpoints, a prune lost to a crash).
 */
const REVISION_TTL_SECONDS = 400 * 24 * 3600;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function toRevision(raw: Item): Revision {
  return {
    endpointName: str(raw.endpoint_name),
    generation: typeof raw.generation === 'number' ? raw.generation : 0,
    spec:
      raw.spec && typeof raw.spec === 'object' && !Array.isArray(raw.spec)
        ? (raw.spec as Record<string, unknown>)
        : {},
    targetRegions: Array.isArray(raw.target_regions) ? raw.target_regions.map(String) : [],
    desiredState: str(raw.desired_state) || 'deploying',
    writtenAt: str(raw.written_at),
    writtenBy: str(raw.written_by),
    ...(typeof raw.reason === 'string' ? { reason: raw.reason } : {}),
    summary: str(raw.summary),
  };
}

export class RevisionsTable {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly table: string,
  ) {}

  /** The revision item of an endpoint item as it is after a write (`endpoint` holds its new state). */
  item(endpoint: Readonly<Item>, note: RevisionNote, writtenAt: Date): Item {
    return {
      endpoint_name: endpoint.endpoint_name,
      generation: endpoint.generation,
      spec: endpoint.spec,
      target_regions: endpoint.target_regions,
      desired_state: endpoint.desired_state ?? 'deploying',
      written_at: writtenAt.toISOString(),
      written_by: note.writtenBy,
      ...(note.reason !== undefined ? { reason: note.reason } : {}),
      summary: note.summary,
      [REVISIONS_TTL_ATTRIBUTE]: Math.floor(writtenAt.getTime() / 1000) + REVISION_TTL_SECONDS,
    };
  }

  /**
   * Revisions up to `upTo`, newest first. Anything above it is ignored: a revision left by an
   * earlier endpoint of the same name (purged, then created again) until this one overwrites it.
   */
  async list(name: string, upTo: number): Promise<Revision[]> {
    const out: Revision[] = [];
    for await (const page of queryPages(this.doc, this.table, name, {
      generationAtMost: upTo,
      ScanIndexForward: false,
    }))
      for (const raw of page) out.push(toRevision(raw));
    return out;
  }

  async get(name: string, generation: number): Promise<Revision | undefined> {
    const out = await classified('GetItem', this.table, () =>
      this.doc.send(
        new GetCommand({
          TableName: this.table,
          Key: { endpoint_name: name, generation },
          ConsistentRead: true,
        }),
      ),
    );
    return out.Item ? toRevision(out.Item) : undefined;
  }

  /** Deletes every revision older than the REVISIONS_KEPT newest up to `latest`; returns how many. */
  async prune(name: string, latest: number): Promise<number> {
    const cutoff = latest - REVISIONS_KEPT;
    if (cutoff < 1) return 0;
    const old: number[] = [];
    for await (const page of queryPages(this.doc, this.table, name, {
      generationAtMost: cutoff,
      ProjectionExpression: 'generation',
    }))
      for (const raw of page) if (typeof raw.generation === 'number') old.push(raw.generation);
    for (const generation of old) {
      await classified('DeleteItem', this.table, () =>
        this.doc.send(new DeleteCommand({ TableName: this.table, Key: { endpoint_name: name, generation } })),
      );
    }
    return old.length;
  }
}
