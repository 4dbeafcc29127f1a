// Admission: what the API server does to every object a client writes before
// it becomes a store command. Server defaults are filled in (the node's
// --default-image, a new Job's initial status), then the object is
// validated against its kind's schema (pkg/api/validation), which also fills
// the schema defaults, normalizes shorthands and enforces the size limits
// (object 256 KiB, command 64 KiB). Every problem is reported at once, as one
// JobctlError(Invalid) whose message has one line per error. The admitted
// object's keys are put in the order the store keeps (key-order.ts).
import { createdJobStatus } from '../controllers/index.js';
import type { ResourceInput } from '../store/index.js';
import { inStoreKeyOrder } from './key-order.js';
import { ManifestInvalidError, validateManifest, type JsonObject } from './validation/index.js';

export interface AdmissionOptions {
  /** spec.image for Jobs (and Runs, CronJob templates) that name none (jobd --default-image). */
  readonly defaultImage?: string;
  /** The clock a new suspended Job's condition is stamped with (tests); Date.now by default. */
  readonly nowMs?: () => number;
}

/** Which write the object is for: creation-capable writes get a Job's initial status. */
export type WriteKind = 'create' | 'apply' | 'update' | 'updateStatus';

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The container specs of an object that may lack an image. */
function containerSpecs(obj: JsonObject): JsonObject[] {
  const spec = obj.spec;
  if (!isObject(spec)) return [];
  if (obj.kind === 'Job' || obj.kind === 'Run') return [spec];
  if (obj.kind === 'CronJob') {
    const tmpl = spec.jobTemplate;
    if (isObject(tmpl) && isObject(tmpl.spec)) return [tmpl.spec];
  }
  return [];
}

/**
 * Returns a validated, defaulted copy of `input` fit for a store command, or
 * throws ManifestInvalidError (reason Invalid). Never mutates `input`.
 */
export function admit(
  input: unknown,
  write: WriteKind,
  opts: AdmissionOptions = {},
): ResourceInput {
  let obj: unknown = input;
  if (isObject(input)) {
    // A shallow copy down the paths we touch; validateManifest deep-copies the rest.
    const copy: JsonObject = { ...input };
    if (isObject(copy.spec)) copy.spec = { ...copy.spec };
    if (copy.kind === 'CronJob' && isObject(copy.spec) && isObject(copy.spec.jobTemplate)) {
      const tmpl = { ...copy.spec.jobTemplate };
      if (isObject(tmpl.spec)) tmpl.spec = { ...tmpl.spec };
      copy.spec.jobTemplate = tmpl;
    }
    if (opts.defaultImage) {
      for (const spec of containerSpecs(copy)) {
        if (spec.image === undefined || spec.image === '') spec.image = opts.defaultImage;
      }
    }
    // A new Job starts Pending (the job controller takes it from there), or
    // Suspended with its condition when created suspended, so that the
    // controller has no status to write for it (createdJobStatus). On an
    // existing object the store ignores status in create/apply anyway.
    if (copy.kind === 'Job' && (write === 'create' || write === 'apply')) {
      const spec = isObject(copy.spec) ? copy.spec : {};
      const created = createdJobStatus(spec, opts.nowMs?.() ?? Date.now());
      // A manifest rarely carries a status: merge only when it does.
      copy.status = isObject(copy.status) ? { ...created, ...copy.status } : created;
    }
    obj = copy;
  }
  const result = validateManifest(obj);
  if (!result.ok) throw new ManifestInvalidError(result);
  // Validated against its kind's schema just above, so it has a ResourceInput's shape;
  // validateManifest's copy is ours to reorder (key-order.ts says why).
  return inStoreKeyOrder(result.object) as ResourceInput;
}
