#!/usr/bin/env node
// Startup time of whole CLI processes, hyperfine-style: runs each SCRIPT
// (default dist/cmd/jobctl.cjs, the `jobctl` bin) N times (default 20) with ARGS (default
// `get jobs`), interleaved so that every script sees the same machine load,
// after 2 warm-up runs each, and prints per script the median and minimum
// wall time and the median CPU time (user + system, from /usr/bin/time when
// present) of the child. Needs a running cluster at $JOBCTL_SERVER. For an
// A/B comparison of builds; the benchmark figure is `npm run bench -- cli`
// (hack/bench/cli.ts), which starts its own cluster and times bare node beside.
//
//   JOBCTL_SERVER=127.0.0.1:50051 node hack/cli-startup.mjs
//   node hack/cli-startup.mjs 20 /old/dist/cmd/jobctl.cjs dist/cmd/jobctl.cjs -- get jobs -o name
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const [n = '20', ...given] = sep < 0 ? argv : argv.slice(0, sep);
const scripts = given.length > 0 ? given : ['dist/cmd/jobctl.cjs'];
const args = sep < 0 ? ['get', 'jobs'] : argv.slice(sep + 1);
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const env = { ...process.env, NO_COLOR: '1' };

/** One run: [wall ms, cpu ms or NaN]. */
function run(script) {
  const cmd = timeBin ?? process.execPath;
  const cmdArgs = [script, ...args];
  if (timeBin) cmdArgs.unshift('-f', 'CPU %U %S', process.execPath);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, cmdArgs, { env, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  const m = /CPU ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
  return [wall, m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN];
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round((s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2);
};

const load = loadavg()[0];
for (let i = 0; i < 2; i++) scripts.forEach(run);
const results = scripts.map(() => []);
for (let i = 0; i < Number(n); i++) scripts.forEach((s, j) => results[j].push(run(s)));
for (const [j, s] of scripts.entries()) {
  const rs = results[j];
  console.log(
    JSON.stringify({
      script: s,
      args: args.join(' '),
      runs: rs.length,
      wall_median_ms: median(rs.map((r) => r[0])),
      wall_min_ms: Math.round(Math.min(...rs.map((r) => r[0]))),
      cpu_median_ms: median(rs.map((r) => r[1])),
    }),
  );
}
console.log(JSON.stringify({ loadavg_1m: [load, loadavg()[0]] }));
