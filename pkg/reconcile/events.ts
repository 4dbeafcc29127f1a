// Events: short, human-readable records of what a controller or agent did to
// an object ("Scheduled", "BackOff", "Killing" ...), shown by `describe`.
// Recording goes through this interface so the Event kind and its storage can
// arrive later without touching the controllers; recording never fails and
// never blocks a reconcile.
import type { ObjectLike } from './keys.js';

export const EventType = { Normal: 'Normal', Warning: 'Warning' } as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

export interface EventRecorder {
  /**
   * Fire and forget: implementations must not throw. `at` (ms since the
   * epoch, default now) is when it happened, for a caller that records after
   * a write which others may already have reacted to (so that, e.g., the
   * scheduler's Scheduled never sorts after the agent's Started).
   */
  record(object: ObjectLike, type: EventType, reason: string, message: string, at?: number): void;
}

export const noopRecorder: EventRecorder = { record: () => {} };

export interface RecordedEvent {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}

/** Keeps events in memory, in order (tests). */
export class MemoryRecorder implements EventRecorder {
  readonly events: RecordedEvent[] = [];

  record(object: ObjectLike, type: EventType, reason: string, message: string): void {
    const m = object.metadata;
    this.events.push({
      kind: object.kind,
      namespace: m.namespace,
      name: m.name,
      uid: m.uid,
      type,
      reason,
      message,
    });
  }

  /** The reasons recorded, optionally only for the object named `name`. */
  reasons(name?: string): string[] {
    return this.events.filter((e) => name === undefined || e.name === name).map((e) => e.reason);
  }

  clear(): void {
    this.events.length = 0;
  }
}
