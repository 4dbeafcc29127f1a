// `npm run bench -- dashboard`: how fast a change reaches the dashboard. A real
// 3-node jobd cluster (--runtime fake, fsync on, every node with --http) and
// the jobs page open in headless Chromium (Debian's chromium, playwright-core)
// on node 1, filtered to this run's label. DASH_BENCH_JOBS (100) Jobs are
// applied one at a time by the page itself (fetch POST /api/apply, the
// dashboard's form path) to node 1; for each, the figure is
//
//   (the page's first MutationObserver record of that Job's row showing a
//    resourceVersion >= the apply's)  -  (the moment the apply's answer arrived)
//
// both read with performance.now() in the page (one clock, one process), so
// it covers the watch event's trip (store -> REST watch NDJSON -> fetch
// stream -> parse -> DOM). The apply returns once its entry is applied on
// node 1, whose watch fires in the same step, so the two race and a figure
// can be negative (the event overtook the apply's own answer). from_send_*
// measure from the moment the apply was sent instead (apply + watch trip).
// 5 warm-up Jobs are not counted.
// CHROMIUM_PATH overrides /usr/bin/chromium; BENCH_KEEP=1 keeps the data dir.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { LocalCluster } from '../../pkg/node/local-cluster.js';
import { API_VERSION, type ResourceInput } from '../../pkg/store/index.js';
import { percentile, round } from './stats.js';

// The page's globals used by the functions sent to it (this file has no DOM types).
declare const document: { getElementById(id: string): unknown };
declare const window: { seen: Record<string, [number, number][]> };
declare function fetch(
  url: string,
  init: object,
): Promise<{ ok: boolean; text(): Promise<string>; json(): Promise<unknown> }>;
declare const MutationObserver: new (cb: (records: MutationLike[]) => void) => {
  observe(target: unknown, opts: object): void;
};
interface RowLike {
  nodeType: number;
  tagName?: string;
  dataset: { name?: string; rv?: string };
}
interface MutationLike {
  type: string;
  target: RowLike;
  addedNodes: RowLike[];
}

const WARMUP = 5;

const job = (name: string, run: string): ResourceInput => ({
  apiVersion: API_VERSION,
  kind: 'Job',
  metadata: { name, namespace: 'default', labels: { bench: run } },
  spec: { image: 'busybox:latest', command: ['true'] },
});

export async function benchDashboard(): Promise<object[]> {
  const n = Number(process.env.DASH_BENCH_JOBS ?? 100);
  const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!existsSync(chromiumPath)) {
    throw new Error(`the dashboard benchmark needs Chromium at ${chromiumPath} (hack/ci-setup.sh)`);
  }
  const baseDir = mkdtempSync(join(tmpdir(), 'jobctl-bench-dash-'));
  const cluster = await LocalCluster.start({
    nodes: 3,
    baseDir,
    // The page's own pace is measured, not the per-client limiter (--rate-limit 0).
    extraArgs: ['--runtime', 'fake', '--rate-limit', '0'],
    httpBasePort: 0,
  });
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  try {
    await cluster.waitForLeader({ timeoutMs: 60_000 });
    const run = randomBytes(3).toString('hex');
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const url = `${cluster.dashboardUrl(1)}#/jobs?labels=${encodeURIComponent(`bench=${run}`)}`;
    await page.goto(url);
    await page.waitForSelector('#link[data-state="live"]', { timeout: 60_000 });
    await page.evaluate(() => {
      const seen: Record<string, [number, number][]> = (window.seen = {});
      const note = (tr: RowLike): void => {
        const { name, rv } = tr.dataset;
        if (!name || !rv) return;
        (seen[name] ??= []).push([Number(rv), performance.now()]);
      };
      new MutationObserver((records) => {
        for (const r of records) {
          if (r.type === 'attributes') note(r.target);
          else for (const a of r.addedNodes) if (a.nodeType === 1 && a.tagName === 'TR') note(a);
        }
      }).observe(document.getElementById('jobs-rows'), {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['data-rv'],
      });
    });

    const latencies: number[] = [];
    const fromSend: number[] = [];
    for (let i = 0; i < n + WARMUP; i++) {
      const name = `dash-${run}-${i}`;
      const [sent, applied, rv] = await page.evaluate(
        async (body) => {
          const start = performance.now();
          const res = await fetch('/api/apply', {
            method: 'POST',
            headers: { 'Content-Type': 'application/yaml' },
            body,
          });
          const at = performance.now();
          if (!res.ok) throw new Error(`apply failed: ${await res.text()}`);
          const out = (await res.json()) as {
            items: { object: { metadata: { resourceVersion: string } } }[];
          };
          return [start, at, Number(out.items[0]?.object.metadata.resourceVersion)] as const;
        },
        JSON.stringify(job(name, run)),
      );
      const handle = await page.waitForFunction(
        ([row, version]) => window.seen[row]?.find(([r]) => r >= version)?.[1],
        [name, rv] as const,
        { timeout: 30_000 },
      );
      const shown = (await handle.jsonValue()) as number;
      if (i >= WARMUP) {
        latencies.push(shown - applied);
        fromSend.push(shown - sent);
      }
    }
    latencies.sort((a, b) => a - b);
    fromSend.sort((a, b) => a - b);
    return [
      {
        name: 'dashboard.row_update',
        p50_ms: round(percentile(latencies, 50)),
        p99_ms: round(percentile(latencies, 99)),
        min_ms: round(latencies[0] ?? NaN),
        max_ms: round(latencies[latencies.length - 1] ?? NaN),
        n: latencies.length,
        from_send_p50_ms: round(percentile(fromSend, 50)),
        from_send_p99_ms: round(percentile(fromSend, 99)),
        runtime: 'fake',
        loadavg_1m: round(loadavg()[0] ?? NaN),
      },
    ];
  } finally {
    await browser.close();
    await cluster.stop();
    if (process.env.BENCH_KEEP === '1') process.stderr.write(`# kept ${baseDir}\n`);
    else rmSync(baseDir, { recursive: true, force: true });
  }
}
