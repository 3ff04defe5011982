import type { Calm } from './cpu.js';
// What one run measured: the JSON (--json) and the table printed at the end.
import type { ChangeBreakdown } from './phases/change.js';
import type { ConvergeWrites } from './phases/converge.js';
import type { Idle } from './phases/idle.js';
import type { RoundResult } from './phases/rounds.js';
import type { Waves } from './phases/waves.js';
import type { Distribution } from './stats.js';

export interface Result {
  endpoints: number;
  regions: number;
  pods: boolean;
  objects_per_region: number;
  limit_s: number;
  limit_concurrency: number;
  limit_sweep: Record<string, number>;
  write_s: number;
  converge_s: number;
  converge_over_limit: number;
  /**
   * The same loop again with the bench's own watches open (as they are while the monitors
   * converge, to see the objects arrive), and convergence over it: the measuring instrument's
   * cost then counts in both phases.
   */
  limit_watched_s: number;
  converge_over_limit_watched: number;
  status_converge_s: number;
  /**
   * With pods (null without): from each limit loop's start, and from the table writes' start,
   * until every Deployment is ready. They include the pods' creation, scheduling and start, which
   * the loops' own figures leave to after their window.
   */
  limit_ready_s: number | null;
  limit_watched_ready_s: number | null;
  converge_ready_s: number | null;
  /** Requests the monitors made while converging (all regions), counted by the servers. */
  converge_requests: { k8s_by_verb: Record<string, number>; dynamodb_by_operation: Record<string, number> };
  /**
   * Every client's requests (by verb and resource) and the watch events the API servers sent,
   * summed over regions: during the limit loop, and from the table writes until the objects
   * converged. What the converge phase asks of the API servers beyond the limit's work.
   */
  kube_all_clients: Record<
    'limit' | 'limit_watched' | 'converge',
    { by_resource: Record<string, number>; watch_events: Record<string, number> }
  >;
  /** Until every status item converged: status writes, re-applies and Events, counted by the servers. */
  converge_writes: ConvergeWrites;
  /** From the start of the table write (the bench's UpdateItem request) to the object seen. */
  change_ms: Distribution;
  /** The same, from the write's acknowledgement: without the table's own write latency. */
  change_after_ack_ms: Distribution;
  /**
   * Where a change's time goes, from the monitors' own log lines ("applied", ms resolution):
   * the table write, write → the monitor's apply returned, apply → the bench's watch saw it.
   */
  change_breakdown_ms: ChangeBreakdown;
  idle: Idle;
  monitor_rss_mb: number;
  monitor_rss_mb_by_region: Record<string, number>;
  ready_to_running_ms: Distribution | null;
  /** From a pod's status patched to a crash loop (API acknowledgement) to the status item naming it. */
  pod_to_status_ms: Distribution | null;
  /** --waves: the region-wave gate's own overhead and idle cost with a policy; null without. */
  waves: Waves | null;
  /** CPU seconds by process role during each phase (all processes on the machine we started). */
  /**
   * Every round's loop (with the bench's watches) and convergence (--rounds; the last round is
   * the one the figures above and the later phases come from), and the median of their ratios.
   */
  rounds: RoundResult[];
  converge_over_limit_watched_median: number;
  /**
   * The wait for a calm machine before each measured phase (bench/cpu.ts waitCalm): how long it
   * took, what the processes spent meanwhile (the previous phase's aftermath), and whether it
   * was reached before its deadline.
   */
  calm_before: Record<'limit' | 'limit_watched' | 'converge', Calm | null>;
  cpu_s: {
    limit: Record<string, number>;
    /** From the limit loop's start until every Deployment it applied is ready (with pods). */
    limit_to_ready: Record<string, number> | null;
    /** The loop with the bench's watches open. */
    limit_watched: Record<string, number>;
    converge: Record<string, number>;
    /** From objects converged until every status item is at its generation and (pods) running. */
    converged_to_running: Record<string, number>;
    idle: Record<string, number>;
  };
  date: string;
}

export function printTable(r: Result): void {
  const rows: [string, string][] = [
    [
      'endpoints × regions',
      `${r.endpoints} × ${r.regions} (${r.objects_per_region} objects/region, pods ${r.pods ? 'simulated' : 'off'})`,
    ],
    [
      'limit (tight SSA loop)',
      `${r.limit_s} s at concurrency ${r.limit_concurrency} (sweep obj/s ${JSON.stringify(r.limit_sweep)})`,
    ],
    ['table writes', `${r.write_s} s`],
    ["limit with the bench's watches open", `${r.limit_watched_s} s`],
    [
      'converge (objects)',
      `${r.converge_s} s = ${r.converge_over_limit} × limit, ${r.converge_over_limit_watched} × limit with watches`,
    ],
    ['converge (status items)', `${r.status_converge_s} s`],
    [
      'until every Deployment is ready',
      r.limit_ready_s === null
        ? 'n/a (--no-pods)'
        : `limit ${r.limit_ready_s} s, with watches ${r.limit_watched_ready_s} s, converge ${r.converge_ready_s} s`,
    ],
    [
      'monitor requests while converging',
      `k8s ${JSON.stringify(r.converge_requests.k8s_by_verb)}; DynamoDB ${JSON.stringify(r.converge_requests.dynamodb_by_operation)}`,
    ],
    [
      'writes while converging',
      `${r.converge_writes.status_writes_per_pair} status writes per endpoint and region (max ${r.converge_writes.status_writes_max_per_pair}, ${r.converge_writes.pairs_written_more_than_once} pairs written more than once), ${r.converge_writes.reapplies} re-applies, ${r.converge_writes.event_creates_per_endpoint} Event creates per endpoint, ${r.converge_writes.passes_per_pair} reconcile passes per endpoint and region`,
    ],
    [
      'change latency',
      `p50 ${r.change_ms.p50} ms, p99 ${r.change_ms.p99} ms, max ${r.change_ms.max} ms (${r.change_ms.samples} samples)`,
    ],
    [
      'change latency after the write is acknowledged',
      `p50 ${r.change_after_ack_ms.p50} ms, p99 ${r.change_after_ack_ms.p99} ms, max ${r.change_after_ack_ms.max} ms`,
    ],
    [
      'change latency by step (p50/p99)',
      Object.entries(r.change_breakdown_ms)
        .map(([k, v]) => `${k} ${v.p50}/${v.p99} ms`)
        .join(', '),
    ],
    [
      'idle k8s (monitors, server-side)',
      `${r.idle.k8s_writes} writes, ${r.idle.k8s_reads} reads, ${r.idle.k8s_watches} watches, ${r.idle.k8s_lease_requests} lease requests in ${r.idle.seconds} s`,
    ],
    [
      'idle DynamoDB (counted by the server)',
      `${r.idle.dynamodb_writes} writes (+${r.idle.dynamodb_heartbeats} heartbeats), ${r.idle.dynamodb_reads} reads ${JSON.stringify(r.idle.dynamodb_by_operation)}`,
    ],
    ['monitor peak RSS', `${r.monitor_rss_mb} MB (max of ${JSON.stringify(r.monitor_rss_mb_by_region)})`],
    [
      'ready → running',
      r.ready_to_running_ms
        ? `p50 ${r.ready_to_running_ms.p50} ms, p99 ${r.ready_to_running_ms.p99} ms (${r.ready_to_running_ms.samples} samples; status via a stream on the status table, ≤ 0.25 s resolution)`
        : 'n/a (--no-pods)',
    ],
    [
      'pod condition → status item',
      r.pod_to_status_ms
        ? `p50 ${r.pod_to_status_ms.p50} ms, p99 ${r.pod_to_status_ms.p99} ms, max ${r.pod_to_status_ms.max} ms (${r.pod_to_status_ms.samples} samples, same stream)`
        : 'n/a (--no-pods)',
    ],
  ];
  if (r.waves) rows.push(...wavesRows(r.waves));
  for (const phase of [
    'limit',
    'limit_to_ready',
    'limit_watched',
    'converge',
    'converged_to_running',
    'idle',
  ] as const)
    rows.push([
      `CPU s, ${phase}`,
      Object.entries(r.cpu_s[phase] ?? {})
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ]);
  const w = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n${rows.map(([k, v]) => `| ${k.padEnd(w)} | ${v} |`).join('\n')}\n\n`);
}

const bucket = (le: number | null) => (le === null ? 'above the last bucket' : `≤ ${le} s`);

function wavesRows(w: Waves): [string, string][] {
  const d = (x: Distribution) => `p50 ${x.p50} ms, p99 ${x.p99} ms, max ${x.max} ms (${x.samples} samples)`;
  const m = w.gate_delay_metric;
  return [
    [
      'waves',
      `${JSON.stringify(w.waves)}, bake ${w.bake_seconds} s, on_failure halt; new generations ${w.write_gap_ms > 0 ? `${w.write_gap_ms} ms apart` : 'all at once'}`,
    ],
    [
      'gates openable / first wave-2 applies over',
      `${w.openable_span_s} s / ${w.wave2_first_apply_span_s} s`,
    ],
    [
      'gate overhead (wave 1 healthy + bake → wave 2 applied)',
      `${d(w.gate_overhead_ms)}; ${w.early_applies} wave-2 applies before the gate could open`,
    ],
    [
      'gate overhead by step',
      `openable → monitor applied p50 ${w.gate_overhead_by_step_ms.to_apply.p50} / p99 ${w.gate_overhead_by_step_ms.to_apply.p99} ms, applied → seen by watch p50 ${w.gate_overhead_by_step_ms.apply_to_seen.p50} / p99 ${w.gate_overhead_by_step_ms.apply_to_seen.p99} ms`,
    ],
    [
      "monitors' gate delay histogram",
      m
        ? `${m.count} samples, mean ${m.mean_ms} ms, p50 ${bucket(m.p50_le_s)}, p99 ${bucket(m.p99_le_s)}`
        : 'not exported by the monitors',
    ],
    ['wave 1: acknowledged write → applied', d(w.wave1_apply_ms)],
    ['wave 1: applied → healthySince', d(w.wave1_apply_to_healthy_ms)],
    [
      'idle with the policy, k8s',
      `${w.idle.k8s_writes} writes, ${w.idle.k8s_reads} reads, ${w.idle.k8s_watches} watches, ${w.idle.k8s_lease_requests} lease requests in ${w.idle.seconds} s`,
    ],
    [
      'idle with the policy, DynamoDB',
      `${w.idle.dynamodb_writes} writes (+${w.idle.dynamodb_heartbeats} heartbeats), ${w.idle.dynamodb_reads} reads ${JSON.stringify(w.idle.dynamodb_by_operation)}`,
    ],
    ['monitor peak RSS after the waves', `${w.monitor_rss_mb} MB`],
    [
      'CPU s, waves (new generation → every region healthy)',
      Object.entries(w.cpu_s)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
  ];
}
