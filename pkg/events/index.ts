// Public API of pkg/events: Events as a resource. A node builds one
// StoreEventRecorder, hands it (or per-component views of it) to its
// controllers and agent, stops it on shutdown, and registers the TTL
// collector with its leader-only Manager:
//
//   const recorder = new StoreEventRecorder({ client, clock, component: 'jobd', nodeName });
//   const manager = new Manager({ client, clock, logger, recorder: recorder.forComponent('controller-manager') });
//   addControllers(manager, ...); addEventGc(manager, { ttlMs });
//   ... agent gets recorder.forComponent('agent') ...
//   await recorder.stop();   // on shutdown, after the controllers and agent
export {
  DEFAULT_FLUSH_MS,
  DEFAULT_MAX_PENDING,
  DEFAULT_WRITE_CONCURRENCY,
  StoreEventRecorder,
  type RecorderStats,
  type StoreEventRecorderOptions,
} from './recorder.js';
export { CLUSTER_EVENT_NAMESPACE, eventName, eventNamespace, involvedObjectOf } from './names.js';
export {
  DEFAULT_EVENT_TTL_MS,
  EVENT_GC_CONTROLLER,
  EventGcReconciler,
  addEventGc,
  eventExpiry,
  eventGcController,
  type EventGcOptions,
} from '../controllers/gc/index.js';
