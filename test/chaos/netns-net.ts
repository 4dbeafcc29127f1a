// The chaos suite's network made by the kernel (`test:chaos -- --netns`):
// every node runs in its own network namespace (test/support/netns.ts), and a
// link's state is iptables rules in the sender's namespace, in a chain of
// its own (JCHAOS, jumped to from OUTPUT) rebuilt whenever one of its links
// changes:
//   down   every packet to the peer dropped (a partition; both directions
//          are set by partition() and cut(), as with the proxies)
//   lossy  packets to the peer dropped at random (`-m statistic --mode
//          random`); this kernel has no netem qdisc, so the proxies' added
//          delay has no counterpart here: the probability grows as the
//          proxies' reset interval shrinks
// Clients (the workload) dial the nodes from the host over the lab's bridge,
// untouched by these rules, as they bypass the proxies.
import type { NetnsLab } from '../support/netns.js';
import type { ChaosNet, LinkState } from './proxy.js';

const CHAIN = 'JCHAOS';

/** The drop probability standing for a lossy link whose proxy would reset every `lossEveryMs`. */
export function lossProbability(lossEveryMs: number): number {
  const t = Math.min(1, Math.max(0, (lossEveryMs - 200) / 1800));
  return Math.round((0.3 - 0.25 * t) * 100) / 100;
}

export class NetnsFaultNet implements ChaosNet {
  private readonly states = new Map<string, LinkState>();
  /** Rule changes in order: iptables calls on one namespace must not interleave. */
  private queue: Promise<void> = Promise.resolve();

  readonly ids: number[] = [];

  private constructor(private readonly lab: NetnsLab) {}

  static async start(lab: NetnsLab, ids: readonly number[]): Promise<NetnsFaultNet> {
    const net = new NetnsFaultNet(lab);
    for (const id of ids) await net.addNode(id);
    return net;
  }

  /** Node `id` (in the lab's namespace `id`) gets its chain; its links are up. */
  async addNode(id: number): Promise<void> {
    await this.lab.iptables(id, ['-N', CHAIN]);
    await this.lab.iptables(id, ['-A', 'OUTPUT', '-j', CHAIN]);
    this.ids.push(id);
  }

  /** Every node at its own namespace address: the kernel, not a proxy, is in the path. */
  peersFlag(_id: number, addresses: ReadonlyMap<number, string>): string {
    return this.ids.map((j) => `${j}=${addresses.get(j)}`).join(',');
  }

  set(from: number, to: number, state: LinkState): Promise<void> {
    this.states.set(`${from}>${to}`, state);
    return this.apply([from]);
  }

  partition(groups: readonly (readonly number[])[]): Promise<void> {
    const groupOf = new Map<number, number>();
    groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    for (const a of this.ids) {
      for (const b of this.ids) {
        const ga = groupOf.get(a);
        const gb = groupOf.get(b);
        if (a !== b && ga !== undefined && gb !== undefined && ga !== gb)
          this.states.set(`${a}>${b}`, { mode: 'down' });
      }
    }
    return this.apply(this.ids);
  }

  cut(a: number, b: number): Promise<void> {
    this.states.set(`${a}>${b}`, { mode: 'down' });
    this.states.set(`${b}>${a}`, { mode: 'down' });
    return this.apply([a, b]);
  }

  heal(): Promise<void> {
    this.states.clear();
    return this.apply(this.ids);
  }

  /** The chain of each of `ids` rebuilt from the links it sends on. */
  private apply(ids: readonly number[]): Promise<void> {
    const next = this.queue.then(async () => {
      for (const from of ids) {
        await this.lab.iptables(from, ['-F', CHAIN]);
        for (const to of this.ids) {
          const s = this.states.get(`${from}>${to}`);
          if (!s || s.mode === 'up') continue;
          const match = ['-A', CHAIN, '-d', this.lab.address(to)];
          await this.lab.iptables(
            from,
            s.mode === 'down'
              ? [...match, '-j', 'DROP']
              : [
                  ...match,
                  ...['-m', 'statistic', '--mode', 'random'],
                  ...['--probability', String(lossProbability(s.lossEveryMs)), '-j', 'DROP'],
                ],
          );
        }
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The rules go with the namespaces (NetnsLab.destroy); nothing of its own to close. */
  async close(): Promise<void> {
    await this.queue;
  }
}
