// The interim replicated state machine: a string -> string map with a
// revision (the Raft index of the write that last changed each key).
// Deterministic: a command's result depends only on the state and the command.
import type { StateMachine } from '../raft/state-machine.js';
import { JobctlError, Reason } from '../util/errors.js';

export type KvCommand = { op: 'put'; key: string; value: string } | { op: 'delete'; key: string };

export type KvResult =
  | { op: 'put'; revision: number; created: boolean }
  | { op: 'delete'; revision: number; found: boolean }
  | { op: 'invalid'; revision: number; message: string };

export interface KvValue {
  readonly value: string;
  readonly revision: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeKvCommand(cmd: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(cmd));
}

export class KvStateMachine implements StateMachine {
  private readonly data = new Map<string, KvValue>();
  private appliedIndex = 0;

  apply(index: number, bytes: Uint8Array): KvResult {
    this.appliedIndex = index;
    let cmd: KvCommand;
    try {
      cmd = JSON.parse(decoder.decode(bytes)) as KvCommand;
    } catch {
      return { op: 'invalid', revision: index, message: 'undecodable kv command' };
    }
    switch (cmd.op) {
      case 'put': {
        const created = !this.data.has(cmd.key);
        this.data.set(cmd.key, { value: cmd.value, revision: index });
        return { op: 'put', revision: index, created };
      }
      case 'delete':
        return { op: 'delete', revision: index, found: this.data.delete(cmd.key) };
      default:
        return { op: 'invalid', revision: index, message: 'unknown kv op' };
    }
  }

  get(key: string): KvValue | undefined {
    return this.data.get(key);
  }

  /** Like get() but a missing key is a NotFound error. */
  mustGet(key: string): KvValue {
    const v = this.data.get(key);
    if (!v) throw new JobctlError(Reason.NotFound, `key "${key}" not found`);
    return v;
  }

  size(): number {
    return this.data.size;
  }

  lastApplied(): number {
    return this.appliedIndex;
  }

  snapshot(): Uint8Array {
    // Insertion order, not sorted: the same on every replica that applied the
    // same entries, and sorting a large map stalls the event loop.
    return encoder.encode(JSON.stringify({ index: this.appliedIndex, entries: [...this.data] }));
  }

  restore(index: number, bytes: Uint8Array): void {
    const snap = JSON.parse(decoder.decode(bytes)) as { entries: [string, KvValue][] };
    this.data.clear();
    for (const [k, v] of snap.entries) this.data.set(k, v);
    this.appliedIndex = index;
  }
}
