// Whether a node has more room than the last pass left it (a Run on it ended
// or was deleted, a bind was refused) or changed in what placement reads (a
// Node added, removed, made ready, cordoned, relabelled). Only then can a Run
// that fit nowhere fit now, so only then are the held Runs tried again.
import { nodePlacementKey, type NodeState, type NodeUsage } from '../../store/index.js';

export class RoomWatch {
  private last = new Map<string, { key: string; used: NodeUsage }>();

  /** Whether `nodes` (with their usage now) offer anything the remembered ones did not. */
  changedSince(nodes: ReadonlyMap<string, NodeState>): boolean {
    if (nodes.size !== this.last.size) return true;
    for (const [name, st] of nodes) {
      const before = this.last.get(name);
      if (!before || before.key !== nodePlacementKey(st.node)) return true;
      const { used } = st;
      const was = before.used;
      if (used.cpu < was.cpu || used.memory < was.memory || used.runs < was.runs) return true;
    }
    return false;
  }

  /** Remembers the nodes as a pass leaves them (its own binds counted). */
  remember(nodes: ReadonlyMap<string, NodeState>): void {
    this.last = new Map();
    for (const [name, st] of nodes) {
      this.last.set(name, { key: nodePlacementKey(st.node), used: { ...st.used } });
    }
  }
}
