// The fault-injecting TCP proxy in the node-to-node path. Node i reaches node j at
// the proxy of the directed pair (i, j), which forwards to j's real address. Each
// pair's link has one state:
//   up       bytes flow (optionally delayed by delayMs each way)
//   down     a partition: open connections are destroyed, new ones are accepted and
//            dropped at once (the dialer sees a reset, like a firewall REJECT)
//   lossy    message loss: bytes flow delayed by a random 0..delayMs, and every
//            lossEveryMs (on average) the connection is reset, dropping whatever was
//            in flight. TCP never drops bytes mid-stream, so loss at this level is what
//            a broken connection loses: Raft messages queued or written but unread.
// Everything that uses a peer address (Raft, the ClusterStatus fan-out, leadership
// transfer) goes through it; Logs proxying resolves the Node's own address and so
// bypasses it.
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import type { Rng } from '../../pkg/util/rng.js';

export type LinkState =
  | { readonly mode: 'up'; readonly delayMs?: number }
  | { readonly mode: 'down' }
  | { readonly mode: 'lossy'; readonly delayMs: number; readonly lossEveryMs: number };

class Link {
  state: LinkState = { mode: 'up' };
  readonly sockets = new Set<Socket>();
  server: Server | undefined;
  port = 0;
  private resetTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly from: number,
    readonly to: number,
    private readonly target: () => { host: string; port: number },
    private readonly rng: Rng,
  ) {}

  async listen(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  set(state: LinkState): void {
    this.state = state;
    if (this.resetTimer) clearTimeout(this.resetTimer);
    this.resetTimer = undefined;
    if (state.mode === 'down') this.dropAll();
    if (state.mode === 'lossy') this.scheduleReset(state.lossEveryMs);
  }

  private scheduleReset(everyMs: number): void {
    this.resetTimer = setTimeout(
      () => {
        this.dropAll();
        if (this.state.mode === 'lossy') this.scheduleReset(everyMs);
      },
      Math.max(10, Math.round(this.rng.next() * 2 * everyMs)),
    );
  }

  dropAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private delay(): number {
    const s = this.state;
    if (s.mode === 'up') return s.delayMs ?? 0;
    if (s.mode === 'lossy') return Math.round(this.rng.next() * s.delayMs);
    return 0;
  }

  private accept(client: Socket): void {
    if (this.state.mode === 'down') {
      client.destroy();
      return;
    }
    const { host, port } = this.target();
    const upstream = connect(port, host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  /** Copies src to dst, each chunk after the link's current delay, in order. */
  private pipe(src: Socket, dst: Socket): void {
    let chain = Promise.resolve();
    src.on('data', (chunk: Buffer) => {
      const d = this.delay();
      if (d <= 0) {
        chain = chain.then(() => {
          if (!dst.destroyed) dst.write(chunk);
        });
        return;
      }
      // Delayed chunks keep their order: each waits for the previous one.
      chain = chain.then(
        () =>
          new Promise<void>((resolve) =>
            setTimeout(() => {
              if (!dst.destroyed) dst.write(chunk);
              resolve();
            }, d),
          ),
      );
    });
  }

  async close(): Promise<void> {
    if (this.resetTimer) clearTimeout(this.resetTimer);
    this.dropAll();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}

/**
 * The chaos network the nemesis drives: user-space proxies (FaultNet, here)
 * or the kernel in network namespaces (./netns-net.ts).
 */
export interface ChaosNet {
  /** The nodes whose links it can fault (a node added later may be missing: its links stay up). */
  readonly ids: readonly number[];
  /** The --peers flag of node `id` given every member's real address. */
  peersFlag(id: number, addresses: ReadonlyMap<number, string>): string;
  set(from: number, to: number, state: LinkState): void | Promise<void>;
  /** Cuts every link between the groups (both directions); links inside a group stay up. */
  partition(groups: readonly (readonly number[])[]): void | Promise<void>;
  /** Cuts the links between a and b, both ways. */
  cut(a: number, b: number): void | Promise<void>;
  /** Every link back up. */
  heal(): void | Promise<void>;
  close(): Promise<void>;
}

/** One proxy per ordered pair of distinct nodes. */
export class FaultNet implements ChaosNet {
  private readonly links = new Map<string, Link>();

  private constructor(readonly ids: readonly number[]) {}

  static async start(addresses: ReadonlyMap<number, string>, rng: Rng): Promise<FaultNet> {
    const ids = [...addresses.keys()].sort((a, b) => a - b);
    const net = new FaultNet(ids);
    for (const from of ids) {
      for (const to of ids) {
        if (from === to) continue;
        const target = (): { host: string; port: number } => {
          const addr = addresses.get(to) as string;
          const i = addr.lastIndexOf(':');
          return { host: addr.slice(0, i), port: Number(addr.slice(i + 1)) };
        };
        const link = new Link(from, to, target, rng.fork());
        await link.listen();
        net.links.set(`${from}>${to}`, link);
      }
    }
    return net;
  }

  private link(from: number, to: number): Link {
    const l = this.links.get(`${from}>${to}`);
    if (!l) throw new Error(`no link ${from}>${to}`);
    return l;
  }

  /** The --peers flag of node `id`: itself at its real address, every other node via a proxy. */
  peersFlag(id: number, addresses: ReadonlyMap<number, string>): string {
    return this.ids
      .map((j) =>
        j === id ? `${j}=${addresses.get(j)}` : `${j}=127.0.0.1:${this.link(id, j).port}`,
      )
      .join(',');
  }

  set(from: number, to: number, state: LinkState): void {
    this.link(from, to).set(state);
  }

  /** Cuts every link between the groups (both directions); links inside a group stay up. */
  partition(groups: readonly (readonly number[])[]): void {
    const groupOf = new Map<number, number>();
    groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    for (const l of this.links.values()) {
      const a = groupOf.get(l.from);
      const b = groupOf.get(l.to);
      if (a !== undefined && b !== undefined && a !== b) l.set({ mode: 'down' });
    }
  }

  /** Cuts the links between a and b, both ways. */
  cut(a: number, b: number): void {
    this.link(a, b).set({ mode: 'down' });
    this.link(b, a).set({ mode: 'down' });
  }

  /** Every link back up with no delay. */
  heal(): void {
    for (const l of this.links.values()) l.set({ mode: 'up' });
  }

  async close(): Promise<void> {
    await Promise.all([...this.links.values()].map((l) => l.close()));
  }
}
