// The execution sandbox's defaults (DESIGN.md §8), one definition for the side
// that enforces them (pkg/runtime's docker runtime) and the side that shows
// them (`jobctl describe job`). They live here, at the bottom of the layers,
// because the CLI may not import the runtime and the runtime imports only util.

/** The user a container runs as unless spec.sandbox.user says otherwise. */
export const DEFAULT_SANDBOX_USER = '65534:65534';
/** CPU and memory when a Job's spec.resources leaves them out. */
export const DEFAULT_CPU = '500m';
export const DEFAULT_MEMORY = '256Mi';
/** Size of the writable /tmp tmpfs (it counts against the memory limit). */
export const DEFAULT_TMPFS_SIZE = '64m';
/** Most processes one container may have. */
export const DEFAULT_PIDS_LIMIT = 256;
