// The nemesis: a seeded random schedule of faults, one at a time, each held for a
// while and then healed:
//   kill       kill -9 of one node (the leader half of the time), restarted later
//   pause      SIGSTOP of one node (often the leader: a stalled leader), then SIGCONT
//   partition  majority/minority, the leader isolated, or a bridge (one node sees
//              both sides, the sides do not see each other)
//   loss       lossy, delayed links (see ./proxy.ts) between some or all pairs
//   clock      a node's wall clock jumps (either way) and its monotonic clock jumps
//              forward (the JOBCTL_TEST_CLOCK_SKEW_FILE hook, docs/chaos.md)
//   member     a membership change (with the `membership` option): add a node
//              (`jobd --join`: a learner, promoted once caught up), remove a
//              voter (the leader now and then: it hands leadership off first),
//              or replace one (remove it, then add a fresh node: a new id, an
//              empty data dir); the cluster stays within one node of its size,
//              and the cluster's one-change-at-a-time rule holds as faults are
//              one at a time and each waits for its change to finish
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
  /** Only these kinds (default all; kill, partition and, when on, member weighted double). */
  readonly kinds?: readonly FaultKind[];
  /** Membership faults: how nodes are added and which may not be removed. */
  readonly membership?: MembershipFaults;
}

export interface MembershipFaults {
  /** The id of the next node to add, or undefined when none can be (no spare namespace). */
  readonly nextId: () => number | undefined;
  /** Runs before node `id` is started (e.g. its namespace's fault chain). */
  readonly beforeAdd?: (id: number) => Promise<void>;
  /** Nodes never removed (a watcher is pinned to them). */
  readonly keep: readonly number[];
  /** The bootstrap size: the cluster stays between it and one more. */
  readonly size: number;
}

export class Nemesis {
  readonly faults: FaultRecord[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly skews = new Map<number, { wallMs: number; monoMs: number }>();

  constructor(private readonly o: NemesisOptions) {}

  /** The members now (membership faults change them). */
  private get ids(): number[] {
    return this.o.cluster.active().map((m) => m.id);
  }

  /** The members whose links the network can fault. */
  private get netIds(): number[] {
    return this.ids.filter((id) => this.o.net.ids.includes(id));
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
        this.o.kinds ?? [
          ...(['kill', 'kill', 'pause', 'partition', 'partition', 'loss', 'clock'] as const),
          ...(this.o.membership ? (['member', 'member'] as const) : []),
        ],
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
        const ids = this.netIds;
        const shuffled = [...ids].sort(() => rng.next() - 0.5);
        if (shape === 'leader') {
          const l = (await this.leader()) ?? (shuffled[0] as number);
          const rest = ids.filter((i) => i !== l);
          await net.partition([[l], rest]);
          (f as { detail: string }).detail = `leader ${l} isolated from ${rest.join(',')}`;
        } else if (shape === 'majority') {
          const minority = shuffled.slice(0, Math.floor((ids.length - 1) / 2));
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
        for (const a of this.netIds)
          for (const b of this.netIds)
            if (a !== b && (all || rng.chance(0.4))) {
              await net.set(a, b, { mode: 'lossy', delayMs, lossEveryMs });
              pairs.push(`${a}>${b}`);
            }
        (f as { detail: string }).detail =
          `delay <=${delayMs} ms, reset ~${lossEveryMs} ms on ${pairs.join(' ') || 'no link'}`;
        return async () => net.heal();
      }
      case 'member':
        return this.changeMembership(rng, f);
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

  /** One membership change, finished (or refused) before it returns; nothing to heal. */
  private async changeMembership(rng: Rng, f: FaultRecord): Promise<() => Promise<void>> {
    const m = this.o.membership;
    const say = (d: string): void => {
      (f as { detail: string }).detail = d;
    };
    if (!m) {
      say('membership faults off');
      return async () => {};
    }
    const grown = this.ids.length > m.size;
    const op = rng.pick(grown ? (['remove', 'replace'] as const) : (['add', 'replace'] as const));
    const admin = this.o.cluster.client(undefined, 30_000);
    const steps: string[] = [];
    try {
      if (op !== 'add') {
        const removable = this.ids.filter((id) => !m.keep.includes(id));
        const l = await this.leader();
        const victim =
          l !== undefined && removable.includes(l) && rng.chance(0.3) ? l : rng.pick(removable);
        try {
          await admin.removeMember(victim);
        } catch (err) {
          // An answer lost in an election may hide a removal that happened.
          if (await this.isMember(admin, victim)) {
            say(`${op}: removing node ${victim} refused: ${String(err)}`);
            return async () => {};
          }
        }
        await this.o.cluster.kill(victim);
        this.o.cluster.markRemoved(victim);
        this.skews.delete(victim);
        steps.push(`removed node ${victim}${victim === l ? ' (the leader)' : ''}`);
      }
      if (op !== 'remove') {
        const id = m.nextId();
        if (id === undefined) {
          steps.push('no spare node to add');
        } else {
          await m.beforeAdd?.(id);
          await this.o.cluster.join(id);
          const voter = await this.waitVoter(admin, id, 60_000);
          steps.push(
            `added node ${id}${voter ? ', promoted to voter' : ', still a learner after 60 s'}`,
          );
        }
      }
      say(`${op}: ${steps.join('; ')}`);
      return async () => {};
    } finally {
      admin.close();
    }
  }

  /** Whether node `id` is in the configuration (asked until someone answers, 30 s at most). */
  private async isMember(admin: ReturnType<E2ECluster['client']>, id: number): Promise<boolean> {
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      try {
        return (await admin.clusterStatus()).nodes.some((n) => n.id === id);
      } catch {
        await sleepMs(250);
      }
    }
    return true;
  }

  /** Whether node `id` became a voter within `ms`. */
  private async waitVoter(
    admin: ReturnType<E2ECluster['client']>,
    id: number,
    ms: number,
  ): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      try {
        const st = await admin.clusterStatus();
        if (st.nodes.find((n) => n.id === id)?.membership === 'voter') return true;
      } catch {
        // no answer this time (an election): ask again
      }
      await sleepMs(250);
    }
    return false;
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
