// A minimal kustomize build for deploy/, so tests need no kustomize binary. It implements only
// the fields deploy/ uses and refuses every other one, so a manifest can never rely on a feature
// this loader silently ignores:
//   - resources: YAML files (multi-document) or directories holding a kustomization.yaml;
//   - patches: `- path: file.yaml` strategic-merge patches that contain maps only (for maps,
//     strategic merge is a plain recursive merge and `null` deletes a key; lists would need
//     patch-merge keys, which this loader does not implement, so a list in a patch is an error);
//   - images: `- name, newName?, newTag?, digest?` on containers and initContainers.
// The integration test compares its output with `kubectl kustomize` when kubectl is installed.
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [field: string]: unknown };
  [field: string]: unknown;
}

interface ImageRule {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

const KUSTOMIZATION_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'patches', 'images']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isMap(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** All documents of a YAML file, as plain objects; comments and empty documents dropped. */
function readYamlDocuments(file: string): Manifest[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const out: Manifest[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    if (!isMap(value) || typeof value.kind !== 'string' || !isMap(value.metadata))
      throw new Error(`${file}: a document is not a Kubernetes object`);
    out.push(value as unknown as Manifest);
  }
  return out;
}

export const objectKey = (o: Manifest): string =>
  `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function mergePatch(target: Record<string, Json>, patch: Record<string, Json>, where: string): void {
  for (const [key, value] of Object.entries(patch)) {
    const path = `${where}.${key}`;
    if (value === null) delete target[key];
    else if (Array.isArray(value))
      throw new Error(`${path}: lists in patches are not supported by scripts/kustomize-lite.ts`);
    else if (isMap(value)) {
      const current = target[key];
      const next: Record<string, Json> = isMap(current) ? current : {};
      mergePatch(next, value, path);
      target[key] = next;
    } else target[key] = value;
  }
}

function applyImage(image: string, rules: readonly ImageRule[]): string {
  const at = image.indexOf('@');
  const withoutDigest = at >= 0 ? image.slice(0, at) : image;
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > withoutDigest.lastIndexOf('/');
  const name = hasTag ? withoutDigest.slice(0, colon) : withoutDigest;
  const rule = rules.find((r) => r.name === name);
  if (!rule) return image;
  const newName = rule.newName ?? name;
  if (rule.digest) return `${newName}@${rule.digest}`;
  if (rule.newTag) return `${newName}:${rule.newTag}`;
  return image.replace(name, newName);
}

function applyImages(objects: Manifest[], rules: readonly ImageRule[]): void {
  for (const o of objects) {
    const podSpec = (o.spec as { template?: { spec?: Record<string, unknown> } } | undefined)?.template?.spec;
    if (!podSpec) continue;
    for (const field of ['containers', 'initContainers']) {
      const containers = podSpec[field] as { image?: string }[] | undefined;
      for (const c of containers ?? []) if (c.image) c.image = applyImage(c.image, rules);
    }
  }
}

/** The objects `kustomize build <dir>` would produce for the supported subset, in resource order. */
export function kustomizeBuild(dir: string): Manifest[] {
  const root = resolve(dir);
  const file = join(root, 'kustomization.yaml');
  const k = parseAllDocuments(readFileSync(file, 'utf8'))[0]?.toJS() as unknown;
  if (!isMap(k) || k.kind !== 'Kustomization') throw new Error(`${file}: not a Kustomization`);
  for (const field of Object.keys(k))
    if (!KUSTOMIZATION_FIELDS.has(field))
      throw new Error(`${file}: field "${field}" is not supported by scripts/kustomize-lite.ts`);

  const objects: Manifest[] = [];
  for (const res of (k.resources as string[] | undefined) ?? []) {
    const path = join(root, res);
    objects.push(...(statSync(path).isDirectory() ? kustomizeBuild(path) : readYamlDocuments(path)));
  }
  const seen = new Set<string>();
  for (const o of objects) {
    const key = objectKey(o);
    if (seen.has(key)) throw new Error(`${file}: ${key} is defined twice`);
    seen.add(key);
  }

  for (const p of (k.patches as Record<string, unknown>[] | undefined) ?? []) {
    if (Object.keys(p).some((f) => f !== 'path') || typeof p.path !== 'string')
      throw new Error(`${file}: only "- path: <file>" patches are supported`);
    for (const patch of readYamlDocuments(join(root, p.path))) {
      const target = objects.find((o) => objectKey(o) === objectKey(patch));
      if (!target) throw new Error(`${file}: patch ${p.path} matches no resource (${objectKey(patch)})`);
      mergePatch(target as unknown as Record<string, Json>, patch as unknown as Record<string, Json>, p.path);
    }
  }

  const images = (k.images as ImageRule[] | undefined) ?? [];
  if (images.length > 0) applyImages(objects, images);
  return objects;
}
