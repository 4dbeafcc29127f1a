// What the agent reports for monitoring, implemented by pkg/node with
// prom-client (default: nothing). Its reconcile loop reports through the
// ReconcileMetrics it extends.
import { noopReconcileMetrics, type ReconcileMetrics } from '../reconcile/index.js';

export interface AgentMetrics extends ReconcileMetrics {
  /** runtime.start() returned a container after `seconds` (an image pull included). */
  containerStarted(seconds: number): void;
  /** runtime.start() failed for good (ImagePullFailed or Error). */
  containerStartFailed(reason: string): void;
  /** This agent reported a Run final: Succeeded, Failed (with its reason), Cancelled. */
  runFinished(phase: string, reason: string): void;
  /** The runtime began (Pulling) or finished (Pulled) pulling an image for a Run. */
  imagePull(stage: 'Pulling' | 'Pulled'): void;
}

export const noopAgentMetrics: AgentMetrics = {
  ...noopReconcileMetrics,
  containerStarted: () => {},
  containerStartFailed: () => {},
  runFinished: () => {},
  imagePull: () => {},
};
