// Wires node lifecycle into a Manager session: Node events enqueue the node;
// a Run event enqueues the node it is bound to when that node is not Ready
// (so a Run that lands on a dead node is marked Lost too).
import {
  Controller,
  enqueueMapped,
  enqueueObject,
  type ControllerFactory,
  type Lister,
} from '../../reconcile/index.js';
import type { Node, Run } from '../../store/index.js';
import { isConditionTrue } from '../common/conditions.js';
import { RUNS_BY_NODE, runNodeIndex } from '../common/runs.js';
import type { HeartbeatTracker } from './heartbeats.js';
import { NodeLifecycleReconciler } from './reconciler.js';

export const NODE_LIFECYCLE_CONTROLLER = 'nodelifecycle';

export interface NodeLifecycleOptions {
  /** Heartbeat silence after which a node is NotReady (default 5 s). */
  readonly gracePeriodMs?: number;
  /** The node's own tracker, fed on every jobd (heartbeats.ts); default one per session. */
  readonly heartbeats?: HeartbeatTracker;
}

export function nodeLifecycleController(opts: NodeLifecycleOptions = {}): ControllerFactory {
  return (ctx) => {
    const nodes = ctx.informer('Node');
    const runs = ctx.informer('Run');
    runs.cache.addIndex(RUNS_BY_NODE, runNodeIndex);
    const reconciler = new NodeLifecycleReconciler({
      client: ctx.client,
      nodes: nodes.cache,
      runs: runs.cache,
      clock: ctx.clock,
      recorder: ctx.recorder,
      logger: ctx.logger,
      gracePeriodMs: opts.gracePeriodMs,
      ...(opts.heartbeats ? { heartbeats: opts.heartbeats } : {}),
    });
    const controller = new Controller({
      name: NODE_LIFECYCLE_CONTROLLER,
      reconciler,
      clock: ctx.clock,
      logger: ctx.logger,
      workers: 1,
    });
    nodes.addHandler(enqueueObject(controller));
    runs.addHandler(enqueueMapped(controller, (run: Run) => unreadyNodeOf(run, nodes.cache)));
    return controller;
  };
}

/**
 * The node a Run event should enqueue: the Run's node unless the Node cache
 * shows it Ready=True (a live node, for which a reconcile does nothing; every
 * Run event enqueued it before, about 1.4 reconciles per Job on the leader).
 * A missing Node is enqueued (its Runs are lost at once).
 *
 * No Run is missed by this: the Run's handler runs after the Run is in the
 * Run cache. If the Node cache already shows the node NotReady (or gone), the
 * node is enqueued. If it still shows it Ready=True, then the NotReady write
 * (or the deletion) reaches the Node cache later, and that Node event
 * enqueues the node, whose reconcile lists the node's Runs from a Run cache
 * that holds this Run. So a Run bound just before this controller's own
 * NotReady write, whose bind reaches the Run cache after the reconcile that
 * wrote it had listed the node's Runs, is lost by the reconcile of that
 * write's own Node event.
 */
export function unreadyNodeOf(run: Run, nodes: Lister<Node>): string[] {
  const name = run.spec.nodeName;
  if (!name) return [];
  const node = nodes.get('', name);
  return node && isConditionTrue(node.status?.conditions, 'Ready') ? [] : [name];
}
