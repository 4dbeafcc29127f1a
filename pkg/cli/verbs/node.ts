// `jobctl node cordon|uncordon|drain NAME [--timeout]`. cordon/uncordon flip
// spec.unschedulable (an update with the read resourceVersion as
// precondition, retried on Conflict). drain cordons, waits (by watch) until
// no active Run is bound to the node, then hands leadership away if the node
// leads, so it can be stopped without disturbing anything.
import { needClusterAdmin } from './services.js';
import type { ResourceClient } from '../../client/index.js';
import {
  isFinalRunPhase,
  type Node,
  type Resource,
  type ResourceInput,
  type Run,
} from '../../store/types.js';
import { JobctlError, Reason, isReason } from '../../util/errors.js';
import { ExitCode, UsageError } from '../errors.js';
import { defineVerb, type VerbGroup } from '../command.js';
import { clientOf, type VerbDeps } from './deps.js';

export type NodeAction = 'cordon' | 'uncordon' | 'drain';

export interface NodeOptions {
  readonly action: string;
  readonly name: string;
  /** drain: "5m", "0" (default) for no limit. */
  readonly timeout?: string;
}

/** One `node ACTION <name>` subcommand. */
const nodeAction = (action: NodeAction, describe: string) =>
  defineVerb({
    name: action,
    describe,
    positionals: [{ name: 'name', required: true }],
    flags: {
      timeout: { type: 'string', describe: 'drain: give up after (default 0 = no limit)' },
    },
    toOptions: (a): NodeOptions => ({ action, name: a.name, timeout: a.timeout }),
    run: runNode,
  });

export const nodeCommand: VerbGroup = {
  name: 'node',
  describe: 'Cordon, uncordon or drain a node',
  subcommands: [
    nodeAction('cordon', 'mark the node unschedulable'),
    nodeAction('uncordon', 'mark the node schedulable'),
    nodeAction('drain', 'cordon, wait for its Runs to finish, hand off leadership'),
  ],
};

const CONFLICT_RETRIES = 5;

/** Sets spec.unschedulable; false if it already had that value. */
async function setUnschedulable(
  client: ResourceClient,
  name: string,
  value: boolean,
): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    const node = (await client.get('node', '', name)) as Node;
    if ((node.spec?.unschedulable ?? false) === value) return false;
    const spec: Record<string, unknown> = { ...node.spec, unschedulable: value };
    if (!value) delete spec.unschedulable;
    try {
      await client.update({
        apiVersion: node.apiVersion,
        kind: node.kind,
        metadata: {
          name,
          labels: node.metadata.labels,
          annotations: node.metadata.annotations,
          ownerReferences: node.metadata.ownerReferences,
          resourceVersion: node.metadata.resourceVersion,
        },
        spec,
      } as ResourceInput);
      return true;
    } catch (err) {
      if (!isReason(err, Reason.Conflict) || attempt >= CONFLICT_RETRIES) throw err;
    }
  }
}

const isActive = (r: Run): boolean => !isFinalRunPhase(r.status?.phase);

/** Resolves when no active Run is bound to the node; false if `signal` aborted first. */
async function waitForRunsToFinish(
  client: ResourceClient,
  name: string,
  signal: AbortSignal,
  deps: VerbDeps,
): Promise<boolean> {
  const fieldSelector = `spec.nodeName=${name}`;
  let reported = false;
  while (!signal.aborted) {
    const list = await client.list('runs', { fieldSelector });
    const active = new Map<string, Run>();
    const key = (o: Resource): string => `${o.metadata.namespace}/${o.metadata.name}`;
    for (const o of list.items) if (isActive(o as Run)) active.set(key(o), o as Run);
    if (active.size === 0) return true;
    if (!reported) {
      deps.stdout.write(
        `waiting for ${active.size} run(s) on node/${name} to finish: ${[...active.keys()].sort().join(', ')}\n`,
      );
      reported = true;
    }
    try {
      for await (const ev of client.watch('runs', {
        fieldSelector,
        resourceVersion: list.resourceVersion,
        signal,
      })) {
        const run = ev.object as Run;
        if (ev.type === 'DELETED' || !isActive(run)) active.delete(key(ev.object));
        else active.set(key(ev.object), run);
        if (active.size === 0) return true;
      }
    } catch (err) {
      if (!(err instanceof JobctlError && err.reason === Reason.Gone)) throw err;
    }
  }
  return false;
}

/** Raft id of the node if it currently leads, else undefined. */
async function leaderId(client: ResourceClient, node: Node): Promise<number | undefined> {
  const id = node.status?.raft?.id;
  try {
    const st = await needClusterAdmin(client, 'cluster status').clusterStatus();
    return id !== undefined && st.leader === id ? id : undefined;
  } catch (err) {
    if (!isReason(err, Reason.Unavailable)) throw err;
    // No cluster view on this client: trust the node's own report.
    return node.status?.raft?.role === 'leader' ? id : undefined;
  }
}

export async function runNode(opts: NodeOptions, deps: VerbDeps): Promise<number> {
  const action = opts.action as NodeAction;
  if (!['cordon', 'uncordon', 'drain'].includes(action)) {
    throw new UsageError(
      `unknown node subcommand "${opts.action}" (use cordon, uncordon or drain)`,
    );
  }
  if (!opts.name) throw new UsageError(`node ${action} needs a NODE name`);
  const client = await clientOf(deps);
  const name = opts.name;
  if (action === 'uncordon') {
    const changed = await setUnschedulable(client, name, false);
    deps.stdout.write(`node/${name} ${changed ? 'uncordoned' : 'already uncordoned'}\n`);
    return ExitCode.Ok;
  }
  const changed = await setUnschedulable(client, name, true);
  deps.stdout.write(`node/${name} ${changed ? 'cordoned' : 'already cordoned'}\n`);
  if (action === 'cordon') return ExitCode.Ok;

  const { deadline, parseTimeout } = await import('./wait.js');
  const dl = deadline(deps.clock, parseTimeout(opts.timeout, 0), deps.signal);
  try {
    if (!(await waitForRunsToFinish(client, name, dl.signal, deps))) {
      deps.stderr.write(`error: timed out waiting for the condition on nodes/${name}\n`);
      return dl.timedOut() ? ExitCode.WaitTimeout : ExitCode.Failed;
    }
  } finally {
    dl.cancel();
  }
  const node = (await client.get('node', '', name)) as Node;
  if ((await leaderId(client, node)) !== undefined) {
    const t = await needClusterAdmin(client, 'leadership transfer').transferLeader();
    deps.stdout.write(
      `node/${name}: leadership transferred from ${t.from} to ${t.to} (term ${t.term})\n`,
    );
  }
  deps.stdout.write(`node/${name} drained\n`);
  return ExitCode.Ok;
}
