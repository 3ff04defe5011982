import { FIELD_MANAGER, type KubeObject, type KubeRef, refOf } from '../model/index.js';
import type { KubeClient } from './client.js';
import { KubeApiError } from './errors.js';
import type { Outcome } from './types.js';

/** Field manager that holds `spec.replicas` between our last claim and the HPA controller's. */
const REPLICAS_HANDOFF_MANAGER = 'inferctl-replicas-handoff';

/** Checked before every write; the lease elector's `guard` fits (see lease.ts). */
export type WriteGuard = (verb: string, ref: KubeRef) => void;

interface ApplyResult {
  readonly outcome: Outcome;
  readonly ref: KubeRef;
  /** The object as the server returned it (absent for deletes). */
  readonly object?: KubeObject;
  /** Delete only: the object was already gone (404), which counts as success. */
  readonly alreadyAbsent?: boolean;
}

interface ApplyOptions {
  /**
   * The live object as last seen (the watch cache's copy), or null when known to be absent. Used
   * only to tell `configured` from `unchanged`; when undefined the executor reads the object once.
   */
  readonly previous?: KubeObject | null;
}

/**
 * Executes plan actions against one cluster: server-side apply and delete. Decides nothing.
 *
 * Every write is a server-side apply (`application/apply-patch+yaml`) as field manager `inferctl`
 * with `force: true`. Force is right for us because the rendered object is the desired state of
 * exactly the fields we declare: if a person (`kubectl edit`) or another tool took over one of
 * them, the endpoint table is the source of truth and we take it back. Force never touches fields
 * we leave out of the applied object — e.g. `spec.replicas` while an HPA owns it — because apply
 * only claims the fields present in the request.
 */
export class KubeExecutor {
  constructor(
    private readonly client: KubeClient,
    private readonly guard: WriteGuard = () => {},
  ) {}

  async apply(obj: KubeObject, options: ApplyOptions = {}): Promise<ApplyResult> {
    const ref = refOf(obj);
    this.guard('apply', ref);
    const previousRv =
      options.previous === undefined
        ? await this.currentResourceVersion(ref)
        : options.previous?.metadata.resourceVersion;
    const res = await this.ssa(obj, ref, false);
    const object = res.body as KubeObject;
    // The API server answers 201 when the apply created the object and 200 otherwise; a no-op
    // apply writes nothing to etcd, so the resourceVersion stays as it was.
    const outcome: Outcome =
      res.status === 201
        ? 'created'
        : previousRv !== undefined && previousRv === object.metadata.resourceVersion
          ? 'unchanged'
          : 'configured';
    return { outcome, ref, object };
  }

  /**
   * Server-side dry run of the same apply: what the object would become, and whether anything
   * would change. Reads only; allowed without the lease.
   */
  async dryRunApply(obj: KubeObject): Promise<ApplyResult> {
    const ref = refOf(obj);
    const previous = await this.read(ref);
    const res = await this.ssa(obj, ref, true);
    const object = res.body as KubeObject;
    if (!previous) return { outcome: 'created', ref, object };
    return { outcome: sameIgnoringVolatile(previous, object) ? 'unchanged' : 'configured', ref, object };
  }

  /** Deletes with background propagation; an object that is already gone counts as deleted. */
  async delete(ref: KubeRef): Promise<ApplyResult> {
    this.guard('delete', ref);
    const path = await this.client.pathFor(ref);
    try {
      await this.client.send({
        method: 'DELETE',
        path,
        query: { propagationPolicy: 'Background' },
        body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' },
        contentType: 'application/json',
        verb: 'delete',
        ref,
      });
      return { outcome: 'deleted', ref };
    } catch (err) {
      if (err instanceof KubeApiError && err.isNotFound)
        return { outcome: 'deleted', ref, alreadyAbsent: true };
      throw err;
    }
  }

  /** A plain GET (404 → undefined). For the CLI and tests; the monitor reads from watch caches. */
  async read(ref: KubeRef): Promise<KubeObject | undefined> {
    const path = await this.client.pathFor(ref);
    try {
      return (await this.client.send({ method: 'GET', path, verb: 'get', ref })).body as KubeObject;
    } catch (err) {
      if (err instanceof KubeApiError && err.isNotFound) return undefined;
      throw err;
    }
  }

  private async currentResourceVersion(ref: KubeRef): Promise<string | undefined> {
    return (await this.read(ref))?.metadata.resourceVersion;
  }

  /**
   * Hands `spec.replicas` over before an apply that stops setting it (autoscaling turned on).
   * Server-side apply removes a field that its only manager stops applying, and the Deployment
   * would fall back to its default of 1 replica. Applying the current count first as a second
   * manager shares the field, so our next apply only drops our claim and the count stays until
   * the HPA controller takes it over (the documented ownership-transfer step).
   */
  async handOffReplicas(ref: KubeRef, replicas: number): Promise<void> {
    this.guard('apply', ref);
    const path = await this.client.pathFor(ref);
    await this.client.send({
      method: 'PATCH',
      path,
      query: { fieldManager: REPLICAS_HANDOFF_MANAGER, force: true },
      body: {
        apiVersion: ref.apiVersion ?? 'apps/v1',
        kind: ref.kind,
        metadata: { name: ref.name, namespace: ref.namespace },
        spec: { replicas },
      },
      contentType: 'application/apply-patch+yaml',
      verb: 'apply (replicas hand-off)',
      ref,
    });
  }

  private async ssa(obj: KubeObject, ref: KubeRef, dryRun: boolean) {
    if (!ref.namespace) throw new Error(`apply ${ref.kind}/${ref.name}: metadata.namespace is required`);
    const path = await this.client.pathFor(ref);
    return this.client.send({
      method: 'PATCH',
      path,
      query: { fieldManager: FIELD_MANAGER, force: true, dryRun: dryRun ? 'All' : undefined },
      body: stripServerFields(obj),
      contentType: 'application/apply-patch+yaml',
      verb: dryRun ? 'apply (dry run)' : 'apply',
      ref,
    });
  }
}

/** An apply body must not carry resourceVersion/managedFields/status from a live copy. */
function stripServerFields(obj: KubeObject): KubeObject {
  const { resourceVersion, managedFields, uid, creationTimestamp, generation, selfLink, ...metadata } =
    obj.metadata;
  const { status, ...rest } = obj;
  return { ...rest, metadata } as KubeObject;
}

function sameIgnoringVolatile(a: KubeObject, b: KubeObject): boolean {
  const norm = (o: KubeObject) => {
    const { managedFields, resourceVersion, generation, ...metadata } = o.metadata;
    return JSON.stringify({ ...o, metadata });
  };
  return norm(a) === norm(b);
}
