// The EventRecorder of one jobd (controllers and agent record Scheduled,
// Started, BackOff, ... through it). One seam so the Event kind's recorder
// (pkg/events, StoreEventRecorder) can replace the no-op in one place.
import type { ResourceClient } from '../client/types.js';
import { noopRecorder, type EventRecorder } from '../reconcile/index.js';
import type { NodeLogger } from './logger.js';

export interface NodeRecorderOptions {
  /** The node's in-process client: where Event objects would be written. */
  readonly client: ResourceClient;
  readonly logger: NodeLogger;
}

/** The recorder the node's controllers and agent share. */
export function nodeRecorder(_opts: NodeRecorderOptions): EventRecorder {
  // pkg/events has no StoreEventRecorder yet: events are dropped.
  return noopRecorder;
}
