// Wires the scheduler into a Manager session: every Run, Node or Queue event
// enqueues the one scheduling key; one worker runs the passes, and a plan
// answered with refusals after its pass ended enqueues it again.
import { Controller, type ControllerFactory } from '../../reconcile/index.js';
import { nodePlacementKey, type Proposer } from '../../store/index.js';
import type { SchedulerMetrics } from './metrics.js';
import { SCHEDULE_KEY, SchedulerReconciler } from './reconciler.js';

export const SCHEDULER_CONTROLLER = 'scheduler';

export interface SchedulerControllerOptions {
  /** The node's Raft proposer: plans are store commands of their own (`plan`). */
  readonly proposer: Proposer;
  readonly metrics?: SchedulerMetrics;
}

export function schedulerController(opts: SchedulerControllerOptions): ControllerFactory {
  return (ctx) => {
    const runs = ctx.informer('Run');
    const nodes = ctx.informer('Node');
    const queues = ctx.informer('Queue');
    const reconciler = new SchedulerReconciler({
      client: ctx.client,
      proposer: opts.proposer,
      // Called only after a plan is answered, long after `controller` exists.
      wake: () => controller.add(SCHEDULE_KEY),
      runs: runs.cache,
      nodes: nodes.cache,
      queues: queues.cache,
      clock: ctx.clock,
      recorder: ctx.recorder,
      logger: ctx.logger,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
    });
    const controller = new Controller({
      name: SCHEDULER_CONTROLLER,
      reconciler,
      clock: ctx.clock,
      logger: ctx.logger,
      workers: 1,
    });
    const poke = {
      onAdd: () => controller.add(SCHEDULE_KEY),
      onUpdate: () => controller.add(SCHEDULE_KEY),
      onDelete: () => controller.add(SCHEDULE_KEY),
    };
    runs.addHandler(poke);
    // A node's heartbeat (every few hundred ms per node) changes nothing a
    // placement reads: no pass for it.
    nodes.addHandler({
      ...poke,
      onUpdate: (old, node) => {
        if (nodePlacementKey(old) !== nodePlacementKey(node)) controller.add(SCHEDULE_KEY);
      },
    });
    queues.addHandler(poke);
    return controller;
  };
}
