// The event loop's delay figures under prom-client's default names
// (nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds), from a
// perf_hooks histogram that samples every 100 ms.
//
// prom-client's own collector samples every 10 ms by default: 100 libuv
// wake-ups a second, ~0.7% of a core per idle node (docs/benchmarks.md, "A
// cluster at rest"). At a coarser resolution its figures break: it resets
// the histogram at each scrape, so a scrape less than one sampling interval
// after the previous one finds no sample and reports a NaN mean (written
// "Nan", which strict parsers refuse) and a minimum of 2^63 ns. Here a window
// without samples keeps the figures of the last window that had some.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

/** Sampling interval: a stall that matters (Raft's 300 ms election timeout) still shows. */
export const EVENT_LOOP_SAMPLE_MS = 100;

const FIGURES: readonly [string, string, (h: IntervalHistogram) => number][] = [
  ['min', 'The minimum recorded event loop delay.', (h) => h.min],
  ['max', 'The maximum recorded event loop delay.', (h) => h.max],
  ['mean', 'The mean of the recorded event loop delays.', (h) => h.mean],
  ['stddev', 'The standard deviation of the recorded event loop delays.', (h) => h.stddev],
  ['p50', 'The 50th percentile of the recorded event loop delays.', (h) => h.percentile(50)],
  ['p90', 'The 90th percentile of the recorded event loop delays.', (h) => h.percentile(90)],
  ['p99', 'The 99th percentile of the recorded event loop delays.', (h) => h.percentile(99)],
];

/** The names this module serves (prom-client's collectors of the same names must go first). */
export const EVENT_LOOP_FIGURE_NAMES = FIGURES.map(([f]) => `nodejs_eventloop_lag_${f}_seconds`);

/** Registers the seven gauges on `registry`; they read one histogram, reset after each window. */
export function registerEventLoopLag(registry: Registry): void {
  const histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_SAMPLE_MS });
  histogram.enable();
  const seconds = new Array<number>(FIGURES.length).fill(0);
  /** Takes the window's figures (if it had samples) and starts a new window. */
  const takeWindow = (): void => {
    if (histogram.count === 0) return;
    FIGURES.forEach(([, , read], i) => (seconds[i] = read(histogram) / 1e9));
    histogram.reset();
  };
  FIGURES.forEach(([, help], i) => {
    new Gauge({
      name: EVENT_LOOP_FIGURE_NAMES[i] as string,
      help,
      registers: [registry],
      collect() {
        // A scrape collects the gauges in order: the first one takes the window.
        if (i === 0) takeWindow();
        this.set(seconds[i] as number);
      },
    });
  });
}
