// deploy/ cannot rot: every object of the base and of the example overlay is accepted by a real
// kube-apiserver (server-side apply, dry run), the minimal kustomize loader agrees with the real
// kustomize (when kubectl is installed), and the committed RBAC, applied for real, grants the
// monitor's ServiceAccount what src/kube/permissions.ts lists and nothing else.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  AuthorizationV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { kustomizeBuild, type Manifest, objectKey } from '../../scripts/kustomize-lite.js';
import { LEASE_PERMISSIONS, NAMESPACED_PERMISSIONS } from '../../src/kube/index.js';
import { useLocalEnv } from '../helpers/local-env.js';

const REPO = join(import.meta.dirname, '..', '..');
const BASE = join(REPO, 'deploy', 'base');
const OVERLAY = join(REPO, 'deploy', 'overlays', 'us-east-1');
const REGION = 'manifests-1';
const NS = 'gco-inference';
const SA_USER = `system:serviceaccount:${NS}:inference-monitor`;

describe('the minimal kustomize loader', () => {
  // kubectl (with its built-in kustomize) is part of this kind of machine's base image.
  it('builds the same objects as `kubectl kustomize`, for base and overlay', () => {
    for (const dir of [BASE, OVERLAY]) {
      const real = parseAllDocuments(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' }))
        .map((d) => d.toJS() as Manifest)
        .filter(Boolean);
      const byKey = (objs: Manifest[]) => Object.fromEntries(objs.map((o) => [objectKey(o), o]));
      expect(byKey(kustomizeBuild(dir))).toEqual(byKey(real));
    }
  });
});

describe('deploy/ on a real API server', () => {
  const handle = useLocalEnv({ regions: [REGION] });
  let kc: KubeConfig;
  let api: KubernetesObjectApi;

  beforeAll(async () => {
    kc = new KubeConfig();
    kc.loadFromFile(handle.env.regions[REGION]!.kubeconfig);
    api = KubernetesObjectApi.makeApiClient(kc);
    // Dry-run objects need their namespace to exist for real (NamespaceLifecycle admission). The
    // local environment may already have created it (it prepares the inference namespace).
    const ns = kustomizeBuild(BASE).find((o) => o.kind === 'Namespace')!;
    await api.create(ns as KubernetesObject).catch((err: { code?: number }) => {
      if (err.code !== 409) throw err;
    });
  });

  it.each([
    ['base', BASE],
    ['overlay us-east-1', OVERLAY],
  ])('accepts every object of the %s in a server-side dry-run apply', async (_what, dir) => {
    const objects = kustomizeBuild(dir);
    expect(objects.map((o) => o.kind).sort()).toEqual(
      [
        'ConfigMap',
        'Deployment',
        'Namespace',
        'PodDisruptionBudget',
        'Role',
        'Role',
        'RoleBinding',
        'RoleBinding',
        'Service',
        'ServiceAccount',
      ].sort(),
    );
    const refused: string[] = [];
    for (const o of objects) {
      try {
        const out = await api.patch(
          o as KubernetesObject,
          undefined,
          'All',
          'inferctl-test',
          true,
          PatchStrategy.ServerSideApply,
        );
        expect(out.metadata?.name).toBe(o.metadata.name);
      } catch (err) {
        refused.push(`${objectKey(o)}: ${(err as Error).message}`);
      }
    }
    expect(refused).toEqual([]);
  });

  it('keeps the dry run a dry run: nothing but the Namespace exists', async () => {
    for (const o of kustomizeBuild(OVERLAY).filter((x) => x.kind !== 'Namespace')) {
      await expect(
        api.read({ apiVersion: o.apiVersion, kind: o.kind, metadata: o.metadata } as never),
      ).rejects.toThrow();
    }
  });

  it('grants the monitor exactly the permission table once applied: its verbs, no Secrets, no other namespace', async () => {
    for (const o of kustomizeBuild(OVERLAY).filter((x) => x.kind !== 'Namespace'))
      await api.patch(
        o as KubernetesObject,
        undefined,
        undefined,
        'inferctl-test',
        true,
        PatchStrategy.ServerSideApply,
      );
    const authz = kc.makeApiClient(AuthorizationV1Api);
    const can = async (group: string, resource: string, verb: string, namespace = NS) => {
      const review = await authz.createSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: SA_USER,
            groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'],
            resourceAttributes: { group, resource, verb, namespace },
          },
        },
      });
      return review.status?.allowed === true;
    };
    const allVerbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
    for (const p of [...NAMESPACED_PERMISSIONS, ...LEASE_PERMISSIONS])
      for (const verb of allVerbs)
        expect(await can(p.apiGroup, p.resource, verb), `${verb} ${p.resource}`).toBe(
          (p.verbs as readonly string[]).includes(verb),
        );
    expect(await can('', 'secrets', 'get')).toBe(false);
    expect(await can('', 'secrets', 'list')).toBe(false);
    // Pods are watched for diagnosis (list/watch are in the table), never written.
    expect(await can('', 'pods', 'delete')).toBe(false);
    expect(await can('', 'pods', 'create')).toBe(false);
    expect(await can('apps', 'deployments', 'list', 'kube-system')).toBe(false);
    expect(await can('apps', 'deployments', 'patch', 'default')).toBe(false);
    expect(await can('rbac.authorization.k8s.io', 'roles', 'create')).toBe(false);
  });
});
