// Size limits on what users send. They keep one bad file from exhausting a node's
// memory or bloating the replicated log (every object is copied to every node).

/** Largest manifest file (all of its documents) accepted: 1 MiB. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** Largest single object, measured as its serialized JSON: 256 KiB. */
export const MAX_OBJECT_BYTES = 256 * 1024;
/** Largest command, all arguments together in UTF-8: 64 KiB. */
export const MAX_COMMAND_BYTES = 64 * 1024;

/** "1 MiB", "256 KiB", "1.5 MiB", "900 bytes". */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** Byte length of a string in UTF-8, without allocating a buffer. */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/**
 * The error line for a manifest file that is too large, or undefined if it fits.
 * Takes the size in bytes (e.g. from stat, before reading) or the content itself.
 */
export function checkManifestSize(
  bytes: number | string | Uint8Array,
  source = '<input>',
): string | undefined {
  const n =
    typeof bytes === 'number'
      ? bytes
      : typeof bytes === 'string'
        ? utf8Length(bytes)
        : bytes.byteLength;
  if (n <= MAX_MANIFEST_BYTES) return undefined;
  return `${source}: manifest is ${n} bytes, over the limit of ${MAX_MANIFEST_BYTES} bytes (${formatBytes(MAX_MANIFEST_BYTES)})`;
}
