// The fields of the API's objects that the dashboard shows (see pkg/store/types.ts
// for the full shapes; the browser build cannot import Node-side modules).
import type { Obj } from './api.js';

export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: string;
}

export interface Job extends Obj {
  readonly spec: {
    readonly completions: number;
    readonly parallelism: number;
    readonly backoffLimit: number;
    readonly image?: string;
    readonly command?: string[];
  };
  readonly status?: {
    readonly phase?: string;
    readonly active?: number;
    readonly succeeded?: number;
    readonly failed?: number;
    readonly startTime?: string;
    readonly completionTime?: string;
    readonly conditions?: Condition[];
  };
}

export interface Run extends Obj {
  readonly spec: { readonly jobName: string; readonly attempt: number; readonly nodeName: string };
  readonly status?: {
    readonly phase?: string;
    readonly reason?: string;
    readonly exitCode?: number;
    readonly startedAt?: string;
    readonly finishedAt?: string;
    readonly message?: string;
  };
}

export interface Resources {
  readonly cpu: string;
  readonly memory: string;
  readonly runs: number;
}

export interface NodeObj extends Obj {
  readonly spec?: { readonly unschedulable?: boolean };
  readonly status?: {
    readonly conditions?: Condition[];
    readonly capacity?: Resources;
    readonly allocatable?: Resources;
    readonly raft?: {
      readonly id: number;
      readonly role: string;
      readonly term: number;
      readonly address: string;
    };
    readonly heartbeatTime?: string;
    readonly versions?: Record<string, string>;
  };
}

export interface EventObj extends Obj {
  readonly spec: {
    readonly involvedObject: { readonly kind: string; readonly name: string };
    readonly type: string;
    readonly reason: string;
    readonly message: string;
    readonly count: number;
    readonly firstTimestamp: string;
    readonly lastTimestamp: string;
    readonly source: { readonly component: string; readonly node?: string };
  };
}

export interface RaftNode {
  readonly id: number;
  readonly address: string;
  readonly role: string;
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
  readonly leader: number;
  readonly health: string;
  readonly error?: string;
}

export interface ClusterStatus {
  readonly nodes: readonly RaftNode[];
  readonly leader: number;
  readonly responder: number;
}

/**
 * Run phases after which nothing changes: a copy of pkg/store's FINAL_RUN_PHASES
 * (these browser modules are compiled on their own and cannot import it);
 * test/unit/dashboard/types.test.ts keeps the two equal.
 */
export const FINAL_RUN_PHASES: ReadonlySet<string> = new Set([
  'Succeeded',
  'Failed',
  'Lost',
  'Cancelled',
]);

export function condition(
  conds: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conds?.find((c) => c.type === type);
}
