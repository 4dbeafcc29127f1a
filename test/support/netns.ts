// Separate hosts for integration tests, made by the kernel: one Linux network
// namespace per node, each with its own address on a bridge the test creates
// (veth pairs, the host end enslaved to the bridge, which also has an address
// so this process can dial the nodes). Docker sets the host's FORWARD policy
// to DROP with bridge netfilter on, so the bridge gets its own ACCEPT rule,
// removed again by destroy(). Partitions are iptables DROP rules inside a
// node's namespace, random loss the same with `-m statistic` (this kernel
// has no netem, so delay is not made here). Rules live in the namespaces,
// which destroy() deletes, so they go with them even when a test fails
// before heal(). Needs root, `ip` and `iptables` (the CI machine is root).
//
//   const lab = await NetnsLab.create(3);        // lab.address(1) = "10.213.57.1"
//   const p = lab.spawn(1, process.execPath, [jobdPath(), ...]);
//   await lab.isolate(1); await lab.heal(1);
//   await lab.loss(2, 0.2);                      // 20% of packets into node 2 dropped
//   await lab.destroy();                         // in after(): everything goes
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

function run(cmd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, (err, stdout, stderr) =>
      err
        ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`))
        : resolve(stdout),
    ),
  );
}

/** Whether this machine can make namespaces (root with ip and iptables). */
export async function netnsAvailable(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await run('ip', ['-V']);
    await run('iptables', ['--version']);
    return true;
  } catch {
    return false;
  }
}

export class NetnsLab {
  private readonly procs = new Set<ChildProcess>();
  private readonly undo: (() => Promise<unknown>)[] = [];

  private constructor(
    /** Short random tag in every name this lab makes (interfaces: at most 15 characters). */
    readonly tag: string,
    /** The /24 the nodes live in, e.g. "10.213.57". */
    readonly subnet: string,
    readonly nodes: number,
  ) {}

  static async create(nodes: number): Promise<NetnsLab> {
    const r = randomBytes(3);
    const lab = new NetnsLab(
      r.toString('hex').slice(0, 5),
      `10.${200 + ((r[0] ?? 0) % 50)}.${r[1] ?? 0}`,
      nodes,
    );
    try {
      await lab.build();
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  private bridge(): string {
    return `jbr${this.tag}`;
  }

  ns(i: number): string {
    return `jns${this.tag}${i}`;
  }

  /** Node i's address (i from 1). */
  address(i: number): string {
    return `${this.subnet}.${i}`;
  }

  private async step(args: readonly string[], undo?: readonly string[]): Promise<void> {
    await run(args[0] as string, args.slice(1));
    if (undo) this.undo.push(() => run(undo[0] as string, undo.slice(1)).catch(() => undefined));
  }

  private async build(): Promise<void> {
    const br = this.bridge();
    await this.step(['ip', 'link', 'add', br, 'type', 'bridge'], ['ip', 'link', 'del', br]);
    await this.step(['ip', 'addr', 'add', `${this.subnet}.254/24`, 'dev', br]);
    await this.step(['ip', 'link', 'set', br, 'up']);
    const accept = ['FORWARD', '-i', br, '-o', br, '-j', 'ACCEPT'];
    await this.step(['iptables', '-I', ...accept], ['iptables', '-D', ...accept]);
    for (let i = 1; i <= this.nodes; i++) {
      const ns = this.ns(i);
      const host = `jvh${this.tag}${i}`;
      const inner = `jvn${this.tag}${i}`;
      await this.step(['ip', 'netns', 'add', ns], ['ip', 'netns', 'del', ns]);
      await this.step(
        ['ip', 'link', 'add', host, 'type', 'veth', 'peer', 'name', inner],
        ['ip', 'link', 'del', host],
      );
      await this.step(['ip', 'link', 'set', inner, 'netns', ns]);
      await this.step(['ip', 'link', 'set', host, 'master', br]);
      await this.step(['ip', 'link', 'set', host, 'up']);
      await this.step(['ip', '-n', ns, 'addr', 'add', `${this.address(i)}/24`, 'dev', inner]);
      await this.step(['ip', '-n', ns, 'link', 'set', inner, 'up']);
      await this.step(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
  }

  /** Starts `cmd args` inside node i's namespace (`ip netns exec` execs it: the pid is the command's). */
  spawn(i: number, cmd: string, args: readonly string[]): ChildProcess {
    const p = spawn('ip', ['netns', 'exec', this.ns(i), cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.procs.add(p);
    p.once('exit', () => this.procs.delete(p));
    return p;
  }

  /** iptables inside node i's namespace. */
  iptables(i: number, rule: readonly string[]): Promise<string> {
    return run('ip', ['netns', 'exec', this.ns(i), 'iptables', ...rule]);
  }

  /** Cuts node i off (every packet in and out of its namespace but loopback dropped). */
  async isolate(i: number): Promise<void> {
    await this.iptables(i, ['-A', 'INPUT', '!', '-i', 'lo', '-j', 'DROP']);
    await this.iptables(i, ['-A', 'OUTPUT', '!', '-o', 'lo', '-j', 'DROP']);
  }

  /**
   * Random loss: each packet into node i's namespace (loopback aside) is
   * dropped with probability `p`, by the kernel (`-m statistic --mode random`).
   */
  async loss(i: number, p: number): Promise<void> {
    await this.iptables(i, [
      '-A',
      'INPUT',
      '!',
      '-i',
      'lo',
      '-m',
      'statistic',
      '--mode',
      'random',
      '--probability',
      String(p),
      '-j',
      'DROP',
    ]);
  }

  /** Packets the DROP rules in node i's INPUT chain have dropped so far. */
  async dropped(i: number): Promise<number> {
    const out = await this.iptables(i, ['-L', 'INPUT', '-v', '-n', '-x']);
    let n = 0;
    for (const line of out.split('\n')) {
      const m = /^\s*(\d+)\s+\d+\s+DROP\b/.exec(line);
      if (m) n += Number(m[1]);
    }
    return n;
  }

  /** Removes every rule isolate() and loss() added to node i. */
  async heal(i: number): Promise<void> {
    await this.iptables(i, ['-F', 'INPUT']);
    await this.iptables(i, ['-F', 'OUTPUT']);
  }

  /** Kills what it started and removes every namespace, link and rule it made. */
  async destroy(): Promise<void> {
    await Promise.all(
      [...this.procs].map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGKILL');
          }),
      ),
    );
    for (const u of this.undo.reverse()) await u();
    this.undo.length = 0;
  }
}
