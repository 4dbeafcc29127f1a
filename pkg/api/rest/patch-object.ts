// A merge or JSON patch as one read-modify-write: read the stored object,
// patch it, write the result back with update (updateStatus for /status)
// under the resourceVersion it was read at. When another write got there
// first (Conflict) and the patch itself asked for no particular version, the
// patch is applied again to the newer object, as the Kubernetes API server
// does; a patch that names a resourceVersion gets the Conflict.
import type { ResourceClient } from '../../client/index.js';
import type { Resource } from '../../store/index.js';
import { isReason, Reason } from '../../util/errors.js';
import { objectForTarget } from './objects.js';
import { applyPatch, parsePatch, type PatchType } from './patch.js';
import type { Target } from './resources-path.js';

/** Read-modify-write rounds before a Conflict is handed to the client. */
const MAX_ATTEMPTS = 5;

function metadataOf(object: unknown): Record<string, unknown> | undefined {
  const meta = (object as { metadata?: unknown }).metadata;
  return typeof meta === 'object' && meta !== null && !Array.isArray(meta)
    ? (meta as Record<string, unknown>)
    : undefined;
}

export async function patchObject(
  client: ResourceClient,
  target: Target,
  type: PatchType,
  body: Buffer | undefined,
  subresource: 'status' | undefined,
): Promise<Resource> {
  const patch = parsePatch(body);
  for (let attempt = 1; ; attempt++) {
    const current = await client.get(target.info.kind, target.namespace ?? '', target.name ?? '');
    const patched = applyPatch(type, current, patch);
    const meta = metadataOf(patched) ?? {};
    // The patch may name a version (a precondition); otherwise the one read.
    const pinned =
      meta.resourceVersion !== undefined &&
      meta.resourceVersion !== current.metadata.resourceVersion;
    const object = objectForTarget(
      {
        ...patched,
        metadata: {
          ...meta,
          resourceVersion: meta.resourceVersion ?? current.metadata.resourceVersion,
        },
      },
      target,
    );
    try {
      return subresource === 'status'
        ? await client.updateStatus(object)
        : await client.update(object);
    } catch (err) {
      if (pinned || attempt >= MAX_ATTEMPTS || !isReason(err, Reason.Conflict)) throw err;
    }
  }
}
