// The labels every runtime puts on its containers (DESIGN.md §3: "containers labelled
// jobctl.run.uid=<uid>"), so that list() — and a restarted agent — can find them.
import { MANAGED_LABEL, RUN_UID_LABEL, type RunContainerSpec } from './types.js';

/** spec.labels plus the runtime's own labels, which win on a clash. */
export function containerLabels(spec: RunContainerSpec): Record<string, string> {
  return { ...(spec.labels ?? {}), [RUN_UID_LABEL]: spec.runUid, [MANAGED_LABEL]: 'true' };
}
