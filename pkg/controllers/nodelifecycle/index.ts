export {
  NODE_LIFECYCLE_CONTROLLER,
  nodeLifecycleController,
  type NodeLifecycleOptions,
  unreadyNodeOf,
} from './controller.js';
export { HeartbeatTracker, type Liveness } from './heartbeats.js';
export {
  DEFAULT_NODE_GRACE_MS,
  NODE_STATUS_UNKNOWN,
  NodeLifecycleReconciler,
  type NodeLifecycleDeps,
} from './reconciler.js';
