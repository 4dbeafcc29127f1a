// What a Controller reports for monitoring, implemented by pkg/node with
// prom-client (default: nothing). Queue depth needs no sink: it is read from
// Controller.queue when metrics are scraped.

/** How one reconcile ended (the Controller's retry decision). */
export type ReconcileOutcome = 'success' | 'requeue' | 'error' | 'terminal';

export interface ReconcileMetrics {
  /** One reconcile of `controller` took `seconds` and ended with `outcome`. */
  reconciled(controller: string, seconds: number, outcome: ReconcileOutcome): void;
}

export const noopReconcileMetrics: ReconcileMetrics = { reconciled: () => {} };
