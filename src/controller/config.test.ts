import { describe, expect, test } from 'vitest';
import { ConfigError, loadMonitorConfig } from './config.js';

describe('loadMonitorConfig', () => {
  test('keeps the seed variables and defaults', () => {
    const c = loadMonitorConfig({ REGION: 'eu-west-1', HOSTNAME: 'pod-1' });
    expect(c).toMatchObject({
      region: 'eu-west-1',
      clusterName: 'eu-west-1',
      endpointsTable: 'gco-inference-endpoints',
      statusTable: 'gco-inference-endpoint-status',
      resyncIntervalMs: 15_000,
      inferenceNamespace: 'gco-inference',
      allowedNamespaces: ['gco-inference'],
      leaseNamespace: 'gco-inference',
      dynamodbTimeoutMs: 10_000,
      kubeApiTimeoutMs: 30_000,
      unhealthyThresholdMs: 300_000,
      listenAddress: '127.0.0.1',
    });
  });

  test('the default identity is HOSTNAME plus a per-process suffix; MONITOR_IDENTITY or --identity wins', () => {
    const env = { REGION: 'eu-west-1', HOSTNAME: 'pod-1' };
    const first = loadMonitorConfig(env).identity;
    expect(first).toMatch(/^pod-1_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(loadMonitorConfig(env).identity).not.toBe(first);
    expect(loadMonitorConfig({ ...env, MONITOR_IDENTITY: 'me' }).identity).toBe('me');
    expect(loadMonitorConfig({ ...env, MONITOR_IDENTITY: 'me' }, { identity: 'flag' }).identity).toBe('flag');
  });

  test('flags win over the environment', () => {
    const c = loadMonitorConfig(
      { REGION: 'a', RECONCILE_INTERVAL_SECONDS: '30' },
      { region: 'b', resyncIntervalSeconds: '5' },
    );
    expect(c.region).toBe('b');
    expect(c.resyncIntervalMs).toBe(5000);
  });

  test.each([
    [{}, 'REGION (--region): required'],
    [
      { REGION: 'a', RECONCILE_INTERVAL_SECONDS: 'often' },
      "RECONCILE_INTERVAL_SECONDS (--reconcile-interval-seconds): must be a number ≥ 1, got 'often'",
    ],
    [
      { REGION: 'a', MONITOR_CONCURRENCY: '1.5' },
      "MONITOR_CONCURRENCY (--concurrency): must be an integer ≥ 1, got '1.5'",
    ],
    [
      { REGION: 'a', ALLOWED_NAMESPACES: 'ok,Not_OK' },
      "ALLOWED_NAMESPACES (--allowed-namespaces): 'Not_OK' is not a valid namespace name",
    ],
    [
      { REGION: 'a', LEASE_DURATION_SECONDS: '5', RENEW_DEADLINE_SECONDS: '5' },
      'RENEW_DEADLINE_SECONDS must be less than LEASE_DURATION_SECONDS',
    ],
  ])('rejects %j naming the variable and the rule', (env, message) => {
    expect(() => loadMonitorConfig(env)).toThrow(ConfigError);
    expect(() => loadMonitorConfig(env)).toThrow(message);
  });

  test('ALLOWED_NAMESPACES replaces the default list', () => {
    expect(
      loadMonitorConfig({ REGION: 'a', ALLOWED_NAMESPACES: 'team-a, team-b' }).allowedNamespaces,
    ).toEqual(['team-a', 'team-b']);
  });
});
