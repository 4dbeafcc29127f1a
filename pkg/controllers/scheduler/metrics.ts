// What the scheduler reports for monitoring, implemented by pkg/node with
// prom-client (default: nothing).
import type { FitReason } from './fit.js';

export interface SchedulerMetrics {
  /** A Run was bound `seconds` after it was created (its placement latency). */
  placed(seconds: number): void;
  /**
   * After each pass: how many Runs are still waiting for a node, and how many
   * of them fit nowhere for each reason (a Run counts once per reason it met).
   */
  passDone(pending: number, unschedulable: ReadonlyMap<FitReason, number>): void;
}

export const noopSchedulerMetrics: SchedulerMetrics = { placed: () => {}, passDone: () => {} };
