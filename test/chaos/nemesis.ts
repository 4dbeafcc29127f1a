// The nemesis: a seeded random schedule of faults, one at a time, each held for a
// while and then healed:
//   kill       kill -9 of one node (the leader half of the time), restarted later
//   pause      SIGSTOP of one node (often the leader: a stalled leader), then SIGCONT
//   partition  majority/minority, the leader isolated, or a bridge (one node sees
//              both sides, the sides do not see each other)
//   loss       lossy, delayed links (see ./proxy.ts) between some or all pairs
//   clock      a node's wall clock jumps (either way) and its monotonic clock jumps
//              forward (the JOBCTL_TEST_CLOCK_SKEW_FILE hook, docs/chaos.md)
import { writeFileSync } from 'node:fs';
import type { Rng } from '../../pkg/util/rng.js';
import type { E2ECluster } from '../support/cluster.js';
import type { FaultRecord } from './history.js';
import type { ChaosNet } from './proxy.js';
import { sleepMs } from './workload.js';

export type FaultKind = FaultRecord['kind'];

export interface NemesisOptions {
  readonly rng: Rng;
  readonly cluster: E2ECluster;
  readonly net: ChaosNet;
  /** Node id -> the skew file its jobd reads on SIGUSR2. */
  readonly skewFile: (id: number) => string;
  readonly elapsed: () => number;
  readonly log: (line: string) => void;
  /** Quiet time between faults, ms [min, max). */
  readonly gapMs?: readonly [number, number];
  /** How long a fault is held, ms [min, max). */
  readonly holdMs?: readonly [number, number];
  /** Only these kinds (default all; kill and partition weighted double). */
  readonly kinds?: readonly FaultKind[];
}

export class Nemesis {
  readonly faults: FaultRecord[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly ids: number[];
  private readonly skews = new Map<number, { wallMs: number; monoMs: number }>();

  constructor(private readonly o: NemesisOptions) {
    this.ids = o.cluster.members.map((m) => m.id);
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.healAll();
  }

  private async leader(): Promise<number | undefined> {
    const st = await this.o.cluster.statuses();
    return st.filter((s) => s.role === 'leader').sort((a, b) => b.term - a.term)[0]?.id;
  }

  private async target(rng: Rng, leaderBias: number): Promise<number> {
    if (rng.chance(leaderBias)) {
      const l = await this.leader();
      if (l !== undefined) return l;
    }
    return rng.pick(this.ids);
  }

  private async run(): Promise<void> {
    const rng = this.o.rng;
    const [gapLo, gapHi] = this.o.gapMs ?? [1500, 4000];
    const [holdLo, holdHi] = this.o.holdMs ?? [1500, 5000];
    while (!this.stopped) {
      await sleepMs(rng.int(gapLo, gapHi));
      if (this.stopped) break;
      const kind = rng.pick<FaultKind>(
        this.o.kinds ?? ['kill', 'kill', 'pause', 'partition', 'partition', 'loss', 'clock'],
      );
      const hold = rng.int(holdLo, holdHi);
      const fault: FaultRecord = { kind, detail: '', startMs: this.o.elapsed() };
      try {
        const heal = await this.inject(kind, rng, fault);
        this.faults.push(fault);
        this.o.log(`${(fault.startMs / 1000).toFixed(1)}s ${kind}: ${fault.detail} for ${hold} ms`);
        await sleepMs(hold);
        await heal();
      } catch (err) {
        this.o.log(`nemesis: ${kind} failed: ${String(err)}`);
        await this.healAll();
      }
      fault.endMs = this.o.elapsed();
    }
  }

  /** Injects one fault; returns what heals it. */
  private async inject(kind: FaultKind, rng: Rng, f: FaultRecord): Promise<() => Promise<void>> {
    const c = this.o.cluster;
    const net = this.o.net;
    switch (kind) {
      case 'kill': {
        // Now and then a majority at once (the cluster must wait, then recover).
        const many = rng.chance(0.2);
        const first = await this.target(rng, 0.5);
        const ids = many
          ? [first, ...this.ids.filter((i) => i !== first).sort(() => rng.next() - 0.5)].slice(
              0,
              Math.floor(this.ids.length / 2) + 1,
            )
          : [first];
        (f as { detail: string }).detail = `node${ids.length > 1 ? 's' : ''} ${ids.join(',')}`;
        for (const id of ids) await c.kill(id);
        return async () => {
          for (const id of ids) c.restart(id);
        };
      }
      case 'pause': {
        const id = await this.target(rng, 0.6);
        (f as { detail: string }).detail = `node ${id}`;
        this.signal(id, 'SIGSTOP');
        return async () => this.signal(id, 'SIGCONT');
      }
      case 'partition': {
        const shape = rng.pick(['majority', 'leader', 'bridge'] as const);
        const shuffled = [...this.ids].sort(() => rng.next() - 0.5);
        if (shape === 'leader') {
          const l = (await this.leader()) ?? (shuffled[0] as number);
          const rest = this.ids.filter((i) => i !== l);
          await net.partition([[l], rest]);
          (f as { detail: string }).detail = `leader ${l} isolated from ${rest.join(',')}`;
        } else if (shape === 'majority') {
          const minority = shuffled.slice(0, Math.floor((this.ids.length - 1) / 2));
          const majority = shuffled.slice(minority.length);
          await net.partition([minority, majority]);
          (f as { detail: string }).detail =
            `majority ${majority.join(',')} | minority ${minority.join(',')}`;
        } else {
          // bridge: the middle node keeps both sides, the sides lose each other.
          const bridge = shuffled[0] as number;
          const rest = shuffled.slice(1);
          const left = rest.slice(0, Math.ceil(rest.length / 2));
          const right = rest.slice(left.length);
          for (const a of left) for (const b of right) await net.cut(a, b);
          (f as { detail: string }).detail =
            `bridge ${bridge} between ${left.join(',')} and ${right.join(',')}`;
        }
        return async () => net.heal();
      }
      case 'loss': {
        const delayMs = rng.int(5, 150);
        const lossEveryMs = rng.int(200, 2000);
        const all = rng.chance(0.5);
        const pairs: string[] = [];
        for (const a of this.ids)
          for (const b of this.ids)
            if (a !== b && (all || rng.chance(0.4))) {
              await net.set(a, b, { mode: 'lossy', delayMs, lossEveryMs });
              pairs.push(`${a}>${b}`);
            }
        (f as { detail: string }).detail =
          `delay <=${delayMs} ms, reset ~${lossEveryMs} ms on ${pairs.join(' ') || 'no link'}`;
        return async () => net.heal();
      }
      case 'clock': {
        const id = rng.pick(this.ids);
        const prev = this.skews.get(id) ?? { wallMs: 0, monoMs: 0 };
        const wallMs = prev.wallMs + (rng.chance(0.5) ? 1 : -1) * rng.int(1000, 120_000);
        const monoMs = prev.monoMs + rng.int(0, 1500);
        this.setSkew(id, { wallMs, monoMs });
        (f as { detail: string }).detail =
          `node ${id} wall ${wallMs} ms, monotonic +${monoMs - prev.monoMs} ms`;
        // The wall clock stays off; it is set right (the monotonic one cannot go back).
        return async () => this.setSkew(id, { wallMs: 0, monoMs });
      }
    }
  }

  private setSkew(id: number, skew: { wallMs: number; monoMs: number }): void {
    this.skews.set(id, skew);
    writeFileSync(this.o.skewFile(id), JSON.stringify(skew));
    this.signal(id, 'SIGUSR2');
  }

  private signal(id: number, sig: NodeJS.Signals): void {
    const p = this.o.cluster.member(id).proc;
    if (p && this.o.cluster.isRunning(id)) p.kill(sig);
  }

  /** Every node running and resumed, every link up. */
  async healAll(): Promise<void> {
    await this.o.net.heal();
    for (const id of this.ids) {
      if (this.o.cluster.isRunning(id)) this.signal(id, 'SIGCONT');
      else this.o.cluster.restart(id);
    }
  }
}
