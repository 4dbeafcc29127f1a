// ContainerTable: what this agent knows about the containers of the Runs bound
// here, by Run uid (containers are addressed by uid, never by name). It is
// filled from runtime.list() (the inventory, at start and on every sweep) and
// from start(); the exits come from one wait() per container (the agent's
// waiters). It is the agent's memory only: after a restart it is rebuilt from
// the runtime, which is what makes adoption work.
import type { ContainerInfo, ExitInfo } from '../runtime/index.js';
import type { KillCause } from './status.js';

/**
 * starting: runtime.start() in flight. running / exited / created / unknown: as
 * the runtime reported (exited: `exit` is set once wait() has returned).
 * failed: start() failed for good (startFailure says why); no container.
 * gone: the container vanished (removed behind our back).
 * removed: the agent removed it although the cached Run is not final yet (its
 * report was refused): a tombstone, so that the Run is never started again.
 */
export type TrackedState =
  'starting' | 'running' | 'exited' | 'created' | 'unknown' | 'failed' | 'gone' | 'removed';

export interface Tracked {
  readonly runUid: string;
  /** Work-queue key (namespace/name) of the Run, once a Run with this uid was seen (setKey). */
  readonly key: string | undefined;
  state: TrackedState;
  containerId?: string;
  startedAt?: string;
  /** Set once wait() returned. */
  exit?: ExitInfo;
  /** Set before the agent kills the container: decides the final report. */
  killCause?: KillCause;
  /** start() failed for good (not RuntimeUnavailable). */
  startFailure?: { readonly reason: 'ImagePullFailed' | 'Error'; readonly message: string };
  /** Found by the inventory rather than started by this agent: re-attach logs. */
  adopted: boolean;
  /** A wait() is in flight. */
  waiting: boolean;
  /** The store refused a report for this Run (why): the container must go. */
  refused?: string;
  /** attachLogs() done for an adopted container. */
  logsAttached?: boolean;
  /** Table sequence number of the last change (sweeps ignore entries changed after they listed). */
  seq: number;
}

export class ContainerTable {
  private readonly byUid = new Map<string, Tracked>();
  /** uids filed under each Run key: withKey() runs on every reconcile, so not a scan. */
  private readonly byKey = new Map<string, Set<string>>();
  private counter = 0;

  /** A number that grows with every change (see Tracked.seq). */
  get sequence(): number {
    return this.counter;
  }

  get(uid: string): Tracked | undefined {
    return this.byUid.get(uid);
  }

  /** The entry for uid, created (state `starting`) if absent. */
  ensure(uid: string, key: string | undefined): Tracked {
    let t = this.byUid.get(uid);
    if (!t) {
      t = {
        runUid: uid,
        key: undefined,
        state: 'starting',
        adopted: false,
        waiting: false,
        seq: 0,
      };
      this.byUid.set(uid, t);
    }
    if (key !== undefined) this.setKey(t, key);
    this.touch(t);
    return t;
  }

  /** Files the entry under the work-queue key of its Run. */
  setKey(t: Tracked, key: string): void {
    if (t.key === key) return;
    this.unfile(t);
    (t as { key: string | undefined }).key = key;
    let uids = this.byKey.get(key);
    if (!uids) this.byKey.set(key, (uids = new Set()));
    uids.add(t.runUid);
  }

  private unfile(t: Tracked): void {
    if (t.key === undefined) return;
    const uids = this.byKey.get(t.key);
    uids?.delete(t.runUid);
    if (uids?.size === 0) this.byKey.delete(t.key);
  }

  /** Marks an entry changed now. */
  touch(t: Tracked): void {
    t.seq = ++this.counter;
  }

  delete(uid: string): void {
    const t = this.byUid.get(uid);
    if (t) this.unfile(t);
    this.byUid.delete(uid);
  }

  /** Entries filed under a Run key (any uid: an old Run of the same name included). */
  withKey(key: string): Tracked[] {
    const uids = this.byKey.get(key);
    if (!uids) return [];
    return [...uids].flatMap((uid) => {
      const t = this.byUid.get(uid);
      return t ? [t] : [];
    });
  }

  all(): Tracked[] {
    return [...this.byUid.values()];
  }

  /**
   * Merges a runtime listing taken when the table was at sequence `listedAt`:
   * unknown containers are added (adopted); known ones not changed since keep
   * what the agent knows, except that a container missing from the listing is
   * `gone`. Returns the entries added.
   */
  merge(infos: readonly ContainerInfo[], listedAt: number): Tracked[] {
    const added: Tracked[] = [];
    const seen = new Set<string>();
    for (const info of infos) {
      seen.add(info.runUid);
      const t = this.byUid.get(info.runUid);
      if (t) {
        if (t.seq <= listedAt && t.state === 'gone' && t.containerId === info.containerId) {
          t.state = info.state; // a transient miss (e.g. an engine hiccup)
          this.touch(t);
        }
        continue;
      }
      const n: Tracked = {
        runUid: info.runUid,
        key: undefined,
        state: info.state,
        containerId: info.containerId,
        adopted: true,
        waiting: false,
        seq: 0,
        ...(info.startedAt ? { startedAt: info.startedAt } : {}),
      };
      this.byUid.set(info.runUid, n);
      this.touch(n);
      added.push(n);
    }
    for (const t of this.byUid.values()) {
      if (seen.has(t.runUid) || t.seq > listedAt || !t.containerId) continue;
      if (
        t.state === 'running' ||
        t.state === 'exited' ||
        t.state === 'created' ||
        t.state === 'unknown'
      ) {
        t.state = 'gone';
        this.touch(t);
      }
    }
    return added;
  }
}
