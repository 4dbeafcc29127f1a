// Public API of pkg/events: Events as a resource (kind Event; its fields are
// under spec: involvedObject, type, reason, message, count, firstTimestamp,
// lastTimestamp, source). A node builds one StoreEventRecorder, hands
// per-component views of it to its controllers and agent, stops it on
// shutdown, and registers the TTL collector with its leader-only Manager:
//
//   const events = new StoreEventRecorder({
//     client, clock, logger, component: 'jobd', nodeName,
//     proposer,            // optional: one Raft entry per flush (batch mode)
//   });
//   const manager = new Manager({ client, clock, logger,
//     recorder: events.forComponent('controller-manager') });
//   addControllers(manager, ...);
//   addEventGc(manager, { ttlMs });           // default 1 h
//   agent: events.forComponent('agent')
//   await events.stop();   // on shutdown, after the controllers and agent
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
