// Public API of pkg/controllers/gc: garbage collection of expired objects
// (Events past their TTL).
export {
  DEFAULT_EVENT_TTL_MS,
  EVENT_GC_CONTROLLER,
  EventGcReconciler,
  SWEEP_KEY,
  SWEEPS_PER_TTL,
  addEventGc,
  eventExpiry,
  eventGcController,
  type EventGcOptions,
  type EventGcReconcilerOptions,
} from './events.js';
