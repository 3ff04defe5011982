// Checks on the committed packaging files that need no server: every generated file is current,
// the production build carries no local-environment code,
// the manifests keep the monitor's configuration contract, and (below) the infrastructure template
// matches the table definitions the code creates. The API-server checks are in
// test/integration/deploy-manifests.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { type Document, isMap, isScalar, isSeq, parseDocument, visit, YAMLMap } from 'yaml';
import { REPO_ROOT } from '../scripts/gen-deploy-rbac.js';
import { GENERATED, staleFiles } from '../scripts/generate.js';
import { kustomizeBuild, type Manifest } from '../scripts/kustomize-lite.js';
import { SETTINGS } from './controller/index.js';
import { MonitorMetrics } from './observability/index.js';
import {
  DEFAULT_ENDPOINTS_TABLE,
  DEFAULT_REVISIONS_TABLE,
  DEFAULT_STATUS_TABLE,
  tableDefinitions,
} from './store/index.js';

const BASE = join(REPO_ROOT, 'deploy', 'base');
const OVERLAY = join(REPO_ROOT, 'deploy', 'overlays', 'us-east-1');

/** The monitor's configuration contract: every env var (= flag of `inferctl monitor`), from the code. */
const MONITOR_ENV: readonly string[] = Object.values(SETTINGS).map((s) => s.env);

interface Container {
  image: string;
  envFrom: { configMapRef: { name: string } }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: unknown };
  readinessProbe: { httpGet: unknown };
  securityContext: Record<string, unknown>;
}
interface DeploymentSpec {
  replicas: number;
  template: { spec: { serviceAccountName: string; containers: Container[] } };
}

const find = (objects: Manifest[], kind: string) => objects.find((o) => o.kind === kind)!;
const configData = (objects: Manifest[]) => find(objects, 'ConfigMap').data as Record<string, string>;

describe('generated files (npm run generate / npm run verify)', () => {
  it('are exactly what their generators render, deploy/base/rbac.yaml from src/kube/permissions.ts among them', () => {
    // On failure: npm run generate
    expect(GENERATED.map((g) => g.path)).toContain('deploy/base/rbac.yaml');
    expect(staleFiles().map((g) => g.path)).toEqual([]);
  });

  it('are reported stale when edited by hand or missing', () => {
    const root = mkdtempSync(join(tmpdir(), 'inferctl-generated-'));
    for (const g of GENERATED) {
      mkdirSync(dirname(join(root, g.path)), { recursive: true });
      writeFileSync(join(root, g.path), g.render());
    }
    expect(staleFiles(root)).toEqual([]);
    const [first, second] = GENERATED;
    writeFileSync(join(root, first!.path), `${first!.render()}# edited by hand\n`);
    if (second) rmSync(join(root, second.path));
    expect(staleFiles(root).map((g) => g.path)).toEqual([first!.path, ...(second ? [second.path] : [])]);
  });
});

describe('deploy/base/rbac.yaml', () => {
  it('grants no wildcard, no Secrets and nothing cluster-scoped', () => {
    const rbac = kustomizeBuild(BASE).filter((o) => o.apiVersion.startsWith('rbac.'));
    expect(rbac.map((o) => o.kind)).not.toContain('ClusterRole');
    expect(rbac.map((o) => o.kind)).not.toContain('ClusterRoleBinding');
    const text = JSON.stringify(rbac);
    expect(text).not.toContain('"*"');
    expect(text).not.toContain('secrets');
  });
});

describe('the production build (tsconfig.build.json → dist/, the image)', () => {
  it('compiles no simulator, demo or local-environment code, not even through an import', () => {
    const config = ts.getParsedCommandLineOfConfigFile(
      join(REPO_ROOT, 'tsconfig.build.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => expect.fail(String(d.messageText)) },
    )!;
    // Every file reachable by an import counts, not only the included roots (the import graph is
    // enough: type-checking the whole program would take seconds).
    const ours = new Set<string>();
    const pending = [...config.fileNames];
    for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
      if (ours.has(file)) continue;
      ours.add(file);
      for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles)
        if (fileName.startsWith('.')) pending.push(join(dirname(file), fileName.replace(/\.js$/, '.ts')));
    }
    expect(ours).toContain(join(REPO_ROOT, 'src', 'cli', 'main.ts'));
    expect([...ours].filter((f) => f.startsWith(join(REPO_ROOT, 'src', 'local')))).toEqual([]);
  });

  it('is what the image builds and ships: dist/ only, from tsconfig.build.json, then the bundle', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    // From an empty dist/: a stale dist/local/ of an older build must not survive into the image.
    const build = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).scripts.build as string;
    expect(build).toMatch(/rmSync\('dist'.*&& tsc -p tsconfig\.build\.json && node scripts\/bundle\.mjs$/);
    const copiedIntoRuntime = dockerfile
      .slice(dockerfile.indexOf('AS runtime'))
      .split('\n')
      .filter((l) => l.startsWith('COPY'));
    expect(copiedIntoRuntime.join('\n')).not.toMatch(/\bsrc\b/);
  });
});

describe('the runtime', () => {
  it('is one Node.js LTS for the image and for npm run test:lts, and package.json engines allow it', () => {
    const lts = readFileSync(join(REPO_ROOT, 'hack', 'node', 'lts.version'), 'utf8').trim();
    const major = lts.split('.')[0];
    const image = /^ARG NODE_IMAGE=node:(\d+)-/m.exec(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
    expect(image?.[1]).toBe(major);
    // Node 20 is past its end of life (2026-04-30): never the image's release again.
    expect(Number(major)).toBeGreaterThanOrEqual(22);
    const engines = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).engines.node as string;
    expect(engines.split('||').map((r) => r.trim())).toContain(`^${major}.0.0`);
  });
});

describe("the monitor's command", () => {
  it("is the image's entrypoint, spelled out in the Deployment, with flags Node.js accepts", () => {
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
    const deployment = parseDocument(
      readFileSync(join(REPO_ROOT, 'deploy', 'base', 'deployment.yaml'), 'utf8'),
    ).toJS() as { spec: { template: { spec: { containers: { command?: string[] }[] } } } };
    const command = deployment.spec.template.spec.containers[0]?.command;
    expect(JSON.parse(entrypoint?.[1] ?? 'null')).toEqual(command);
    expect(command?.slice(-2)).toEqual(['bin/inferctl.js', 'monitor']);
    // Lite mode is what the memory figures in BENCHMARKS.md were measured with; a flag this Node.js
    // refused would stop the monitor at start.
    const flags = command?.slice(1, -2) ?? [];
    expect(flags).toContain('--lite-mode');
    expect(() => execFileSync(process.execPath, [...flags, '-e', '0'], { stdio: 'pipe' })).not.toThrow();
  });
});

describe('deploy/ manifests', () => {
  it('configure only variables of the monitor contract, and the overlay sets the required ones', () => {
    const base = configData(kustomizeBuild(BASE));
    const overlay = configData(kustomizeBuild(OVERLAY));
    for (const key of Object.keys(overlay)) expect(MONITOR_ENV).toContain(key);
    expect(base.REGION).toBeUndefined();
    expect(overlay).toMatchObject({ REGION: 'us-east-1', CLUSTER_NAME: expect.any(String) });
    // Pinned, never :latest (DESIGN §4.4).
    expect(overlay.MODEL_SYNC_IMAGE).toMatch(/^[^:]+:\d[\w.-]*$/);
  });

  it('agree with each other on ports, probes, ServiceAccount and names', () => {
    const objects = kustomizeBuild(OVERLAY);
    const data = configData(objects);
    const deployment = find(objects, 'Deployment') as Manifest & { spec: DeploymentSpec };
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0]!;
    expect(deployment.spec.replicas).toBe(2);
    expect(pod.serviceAccountName).toBe(find(objects, 'ServiceAccount').metadata.name);
    expect(container.envFrom[0]?.configMapRef.name).toBe(find(objects, 'ConfigMap').metadata.name);
    const ports = Object.fromEntries(container.ports.map((p) => [p.name, p.containerPort]));
    expect(ports).toEqual({ metrics: Number(data.METRICS_PORT), health: Number(data.HEALTH_PORT) });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true });
    expect(container.image).toBe('123456789012.dkr.ecr.us-east-1.amazonaws.com/inferctl:0.1.0');
    expect(find(objects, 'Service').spec).toMatchObject({ ports: [{ port: 9090, targetPort: 'metrics' }] });
    expect(find(objects, 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: 1 });
    // Every namespaced object lives where the monitor is configured to run.
    for (const o of objects.filter((x) => x.kind !== 'Namespace'))
      expect(o.metadata.namespace).toBe(data.INFERENCE_NAMESPACE);
  });

  it('never label the monitor itself as an object the monitor owns (it would prune itself)', () => {
    for (const o of kustomizeBuild(OVERLAY).filter((x) => ['Deployment', 'Service'].includes(x.kind))) {
      const labels = (o.metadata.labels ?? {}) as Record<string, string>;
      expect(labels['app.kubernetes.io/managed-by']).not.toBe('inferctl');
      expect(labels['gco.io/endpoint']).toBeUndefined();
    }
  });
});

/**
 * Parses a CloudFormation YAML template with its short-form tags kept as plain data in their long
 * form (`!Ref X` → `{ Ref: X }`, `!If [...]` → `{ 'Fn::If': [...] }`).
 */
function parseCloudFormation(text: string): Record<string, unknown> {
  const doc: Document = parseDocument(text);
  visit(doc, (_key, node) => {
    if (!(isScalar(node) || isSeq(node) || isMap(node)) || !node.tag?.startsWith('!')) return undefined;
    const tag = node.tag.slice(1);
    node.tag = undefined;
    const wrapped = new YAMLMap(doc.schema);
    wrapped.set(tag === 'Ref' || tag === 'Condition' ? tag : `Fn::${tag}`, node);
    return wrapped;
  });
  if (doc.errors.length > 0) throw doc.errors[0];
  return doc.toJS() as Record<string, unknown>;
}

interface TemplateTable {
  Type: string;
  Properties: {
    TableName: unknown;
    BillingMode: string;
    KeySchema: unknown;
    AttributeDefinitions: unknown;
    StreamSpecification?: { StreamViewType: string };
    Replicas: unknown[];
  };
}

describe('infra/tables.yaml', () => {
  const template = parseCloudFormation(readFileSync(join(REPO_ROOT, 'infra', 'tables.yaml'), 'utf8')) as {
    Parameters: Record<string, { Default: string }>;
    Resources: Record<string, TemplateTable>;
  };
  const defs = tableDefinitions({
    endpoints: DEFAULT_ENDPOINTS_TABLE,
    status: DEFAULT_STATUS_TABLE,
    revisions: DEFAULT_REVISIONS_TABLE,
  });

  it.each([
    ['EndpointsTable', 'EndpointsTableName', defs.endpoints],
    ['StatusTable', 'StatusTableName', defs.status],
    ['RevisionsTable', 'RevisionsTableName', defs.revisions!],
  ] as const)(
    'declares %s as a global table with the key schema of tableDefinitions()',
    (resource, param, def) => {
      const table = template.Resources[resource]!;
      expect(table.Type).toBe('AWS::DynamoDB::GlobalTable');
      expect(table.Properties.TableName).toEqual({ Ref: param });
      expect(template.Parameters[param]!.Default).toBe(def.TableName);
      expect(table.Properties.KeySchema).toEqual(def.KeySchema);
      expect(table.Properties.AttributeDefinitions).toEqual(def.AttributeDefinitions);
      expect(table.Properties.BillingMode).toBe(def.BillingMode);
      if (def.StreamSpecification)
        expect(table.Properties.StreamSpecification?.StreamViewType).toBe(
          def.StreamSpecification.StreamViewType,
        );
    },
  );

  it('expires revisions on the attribute the CLI writes', () => {
    const props = template.Resources.RevisionsTable!.Properties as { TimeToLiveSpecification?: unknown };
    expect(props.TimeToLiveSpecification).toEqual({ AttributeName: 'expires_at', Enabled: true });
  });

  it('enables point-in-time recovery on every replica, the stack region first', () => {
    for (const table of Object.values(template.Resources)) {
      const replicas = table.Properties.Replicas;
      expect(replicas[0]).toMatchObject({ Region: { Ref: 'AWS::Region' } });
      expect(replicas.length).toBeGreaterThan(1);
      for (const r of replicas) {
        const spec = (r as { 'Fn::If'?: unknown[] })['Fn::If']?.[1] ?? r;
        expect(spec).toMatchObject({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        });
      }
    }
  });
});

describe('infra IAM policies', () => {
  interface Statement {
    Effect: string;
    Action: string[];
    Resource: string;
  }
  const policy = (file: string) =>
    (JSON.parse(readFileSync(join(REPO_ROOT, 'deploy', 'iam', file), 'utf8')) as { Statement: Statement[] })
      .Statement;
  const endpointsArn = `arn:aws:dynamodb:*:ACCOUNT_ID:table/${DEFAULT_ENDPOINTS_TABLE}`;
  const statusArn = `arn:aws:dynamodb:*:ACCOUNT_ID:table/${DEFAULT_STATUS_TABLE}`;
  const revisionsArn = `arn:aws:dynamodb:*:ACCOUNT_ID:table/${DEFAULT_REVISIONS_TABLE}`;
  const grants = (statements: Statement[]) =>
    Object.fromEntries(statements.map((s) => [s.Resource, [...s.Action].sort()]));

  it('gives the monitor reads and the conditional purge on endpoints, both streams, status writes and revision reads', () => {
    const statements = policy('monitor-policy.json');
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(grants(statements)).toEqual({
      [endpointsArn]: [
        'dynamodb:BatchGetItem',
        'dynamodb:DeleteItem',
        'dynamodb:DescribeTable',
        'dynamodb:GetItem',
        'dynamodb:Scan',
      ],
      [`${endpointsArn}/stream/*`]: [
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
      ],
      [statusArn]: [
        'dynamodb:DeleteItem',
        'dynamodb:DescribeTable',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'dynamodb:UpdateItem',
      ],
      [`${statusArn}/stream/*`]: [
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
      ],
      [revisionsArn]: ['dynamodb:GetItem'],
    });
  });

  it('gives the CLI CRUD on endpoints, only reads on status, and the revisions it keeps', () => {
    const statements = policy('cli-policy.json');
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(grants(statements)).toEqual({
      [endpointsArn]: [
        'dynamodb:DeleteItem',
        'dynamodb:DescribeTable',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Scan',
        'dynamodb:UpdateItem',
      ],
      [statusArn]: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'],
      // A write's revision goes in one transaction with it; pruning deletes beyond the last 10.
      [revisionsArn]: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
    });
  });
});

describe('docs/operations.md', () => {
  const text = readFileSync(join(REPO_ROOT, 'docs', 'operations.md'), 'utf8');

  it('has a configuration row for every variable of the monitor contract', () => {
    // A table row whose first cell is the variable, however the table is padded.
    for (const name of MONITOR_ENV) expect(text).toMatch(new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`, 'm'));
  });

  it('names only metrics the monitor really exports', async () => {
    const exported = new Set(
      (await new MonitorMetrics().registry.getMetricsAsJSON()).map((m: { name: string }) => m.name),
    );
    const mentioned = new Set(
      [...text.matchAll(/\binferctl_[a-z_]+/g)]
        .map((m) => m[0].replace(/_bucket$/, ''))
        .filter((name) => !name.endsWith('_')),
    );
    expect(mentioned.size).toBeGreaterThan(10);
    expect([...mentioned].filter((name) => !exported.has(name))).toEqual([]);
  });
});
