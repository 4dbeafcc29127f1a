#!/usr/bin/env node
// `npm run test:chaos -- [--seed S] [--duration 60s] [--nodes 3|5] [--runtime fake|docker]
//                      [--seeds N] [--long] [--faults kill,clock] [--replay FILE] [--keep-history]
//                      [--netns] [--membership]`
// Runs the chaos harness (./run.ts) for each seed and prints, per run, the
// chaos.summary JSON line on stdout; on an anomaly the seed, the anomalies, the minimal
// failing window and the history file on stderr, and exit 1. --replay re-checks a
// saved history without a cluster. --long: 5 nodes, 180 s, 3 seeds (unless given).
import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { checkHistory, summaryLine } from './checker/index.js';
import type { History } from './history.js';
import { formatFailure } from './report.js';
import type { FaultKind } from './nemesis.js';
import { runChaos } from './run.js';
import { netnsAvailable } from '../support/netns.js';

function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) throw new Error(`--duration: expected e.g. 60s or 3m, got "${v}"`);
  const n = Number(m[1]);
  return m[2] === 'm' ? n * 60 : m[2] === 'ms' ? n / 1000 : n;
}

async function main(): Promise<number> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('test:chaos')
    .option('seed', { type: 'number', describe: 'first seed (default: random)' })
    .option('seeds', { type: 'number', describe: 'how many seeds (seed, seed+1, ...)' })
    .option('duration', { type: 'string', describe: 'fault time per seed, e.g. 60s, 3m' })
    .option('nodes', { type: 'number', choices: [3, 5] })
    .option('runtime', { type: 'string', choices: ['fake', 'docker'], default: 'fake' })
    .option('long', { type: 'boolean', default: false, describe: '5 nodes, 180 s, 3 seeds' })
    .option('replay', { type: 'string', describe: 'check a saved history JSON instead of running' })
    .option('faults', {
      type: 'string',
      describe: 'only these fault kinds, e.g. kill,clock (kill pause partition loss clock member)',
    })
    .option('netns', {
      type: 'boolean',
      default: false,
      describe: 'each node in its own network namespace, faults by iptables (root)',
    })
    .option('membership', {
      type: 'boolean',
      default: false,
      describe: 'membership faults too: add, remove, replace a node',
    })
    .option('keep-history', { type: 'boolean', default: false })
    .option('out-dir', { type: 'string', default: 'chaos-histories' })
    .strict()
    .fail((msg, err) => {
      process.stderr.write(`test:chaos: ${msg ?? err?.message}\n`);
      process.exit(2);
    })
    .parseAsync();

  if (argv.replay) {
    const h = JSON.parse(readFileSync(argv.replay, 'utf8')) as History;
    const r = checkHistory(h);
    process.stdout.write(summaryLine(h, r) + '\n');
    if (r.anomalies.length === 0) return 0;
    process.stderr.write(formatFailure(h, r) + '\n');
    return 1;
  }
  const seed = argv.seed ?? Math.floor(Math.random() * 1_000_000);
  const seeds = argv.seeds ?? (argv.long ? 3 : 1);
  const seconds = parseDuration(argv.duration ?? (argv.long ? '180s' : '60s'));
  const nodes = argv.nodes ?? (argv.long ? 5 : 3);
  const kinds = ['kill', 'pause', 'partition', 'loss', 'clock', 'member'];
  const faults = argv.faults?.split(',').map((k) => k.trim()) as FaultKind[] | undefined;
  const bad = faults?.find((k) => !kinds.includes(k));
  if (bad !== undefined) throw new Error(`--faults: unknown kind "${bad}" (${kinds.join(', ')})`);
  if (argv.netns && !(await netnsAvailable())) {
    throw new Error('--netns needs root, ip and iptables');
  }
  let failed = 0;
  for (let i = 0; i < seeds; i++) {
    const res = await runChaos({
      seed: seed + i,
      seconds,
      nodes,
      runtime: argv.runtime as 'fake' | 'docker',
      outDir: argv.outDir,
      keepHistory: argv.keepHistory,
      netns: argv.netns,
      membership: argv.membership || (faults?.includes('member') ?? false),
      ...(faults ? { faults } : {}),
    });
    process.stdout.write(res.summary + '\n');
    if (res.report.anomalies.length > 0) {
      failed++;
      process.stderr.write(formatFailure(res.history, res.report, res.historyFile) + '\n');
    }
  }
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `test:chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
