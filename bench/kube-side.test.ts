import { describe, expect, it } from 'vitest';
import { diffKube, parseKubeMetrics, sumCounts } from './kube-side.js';

const METRICS = `# HELP apiserver_request_total [STABLE] Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="201",component="apiserver",dry_run="",group="apps",resource="deployments",scope="resource",subresource="",verb="APPLY",version="v1"} 400
apiserver_request_total{code="200",component="apiserver",dry_run="",group="apps",resource="deployments",scope="resource",subresource="status",verb="PUT",version="v1"} 1811
apiserver_request_total{code="409",component="apiserver",dry_run="",group="apps",resource="deployments",scope="resource",subresource="status",verb="PUT",version="v1"} 9
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="",scope="",subresource="/readyz",verb="GET",version=""} 3
apiserver_flowcontrol_dispatched_requests_total{flow_schema="bench-monitor-patch",priority_level="exempt"} 12
apiserver_flowcontrol_dispatched_requests_total{flow_schema="bench-monitor-leases",priority_level="exempt"} 4
apiserver_flowcontrol_dispatched_requests_total{flow_schema="exempt",priority_level="exempt"} 99
apiserver_watch_events_total{group="apps",resource="deployments",version="v1"} 1648
apiserver_watch_events_total{group="",resource="pods",version="v1"} 4800
apiserver_watch_events_sizes_sum{group="",resource="pods",version="v1"} 123456
`;

describe('parseKubeMetrics', () => {
  const counts = parseKubeMetrics(METRICS);

  it('sums every response code of a verb and resource, keeping subresources apart', () => {
    expect(counts.byResource).toEqual({
      'APPLY deployments': 400,
      'PUT deployments/status': 1820,
      'GET /readyz': 3,
    });
    expect(counts.allClients).toEqual({ APPLY: 400, PUT: 1820, GET: 3 });
  });

  it("counts only the monitor's FlowSchemas, by their suffix", () => {
    expect(counts.monitor).toEqual({ patch: 12, leases: 4 });
  });

  it('reads watch events sent by resource, not their sizes', () => {
    expect(counts.watchEvents).toEqual({ deployments: 1648, pods: 4800 });
  });
});

describe('diffKube and sumCounts', () => {
  it('subtract one scrape from the next, dropping what did not change, and add regions up', () => {
    const before = parseKubeMetrics(METRICS);
    const after = parseKubeMetrics(
      METRICS.replace('resource="pods",version="v1"} 4800', 'resource="pods",version="v1"} 4900'),
    );
    const d = diffKube(before, after);
    expect(d.watchEvents).toEqual({ pods: 100 });
    expect(d.byResource).toEqual({});
    expect(sumCounts([d, d]).watchEvents).toEqual({ pods: 200 });
  });
});
