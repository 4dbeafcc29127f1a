// The event-loop delay gauges: scrapes closer together than the sampling
// interval must still give numbers a Prometheus parser takes (prom-client's
// own collector, reset at each scrape, gave "Nan" and a 2^63 ns minimum).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeMetrics } from '../../../pkg/node/metrics.js';
import { EVENT_LOOP_FIGURE_NAMES } from '../../../pkg/node/event-loop-lag.js';
import { parsePromText } from '../../support/prom-text.js';

async function lagFigures(m: NodeMetrics): Promise<Map<string, number>> {
  const families = parsePromText(await m.text());
  const out = new Map<string, number>();
  for (const name of EVENT_LOOP_FIGURE_NAMES) {
    const family = families.get(name);
    assert.ok(family, `${name} is exposed`);
    assert.equal(family.samples.length, 1, `${name} has one sample`);
    out.set(name, (family.samples[0] as { value: number }).value);
  }
  return out;
}

describe('event-loop delay gauges', () => {
  it('give finite, plausible figures on back-to-back scrapes', async () => {
    const m = new NodeMetrics();
    for (let i = 0; i < 5; i++) {
      for (const [name, v] of await lagFigures(m)) {
        assert.ok(Number.isFinite(v), `${name} is a number on scrape ${i}: ${v}`);
        assert.ok(v >= 0 && v < 60, `${name} is a plausible delay on scrape ${i}: ${v} s`);
      }
    }
  });

  it('show a window with samples once the loop has turned', async () => {
    const m = new NodeMetrics();
    const deadline = Date.now() + 30_000;
    let mean = 0;
    while (mean === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      mean = (await lagFigures(m)).get('nodejs_eventloop_lag_mean_seconds') ?? 0;
    }
    assert.ok(mean > 0, 'the mean delay moved off zero once samples came in');
  });
});
