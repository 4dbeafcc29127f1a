// Apply pasted manifest text, as `jobctl apply -f -` does, for the dashboard's
// form (a browser has no YAML parser, and the text may hold several objects):
//
//   POST /api/apply[?namespace=NS][&dryRun=All]    body: YAML or JSON text
//   200 {"kind":"ApplyResultList","items":[{"outcome":"created","object":{...}}, ...]}
//
// Each document is applied in order through client.apply (admission,
// validation, Raft); the first failure ends the request with its Status. A
// manifest refused by validation answers 422 whose details.causes name each
// field (spec.completions, ...), so the form can show every error at its
// field; the message says which document it was. Text that is not YAML is a
// 400 with the parser's line:column messages.
import { Router, type RequestHandler } from 'express';
import type { ApplyResult, ResourceClient } from '../../client/index.js';
import type { KindRegistry, ResourceInput } from '../../store/index.js';
import { JobctlError } from '../../util/errors.js';
import { ManifestInvalidError, parseManifests } from '../validation/index.js';
import { rawBody } from './body.js';
import type { RestLogger } from './logger.js';
import { queryDryRun, queryString } from './query.js';
import { sendError, sendJson } from './respond.js';
import { badRequest } from './status.js';
import { requestClient } from './access.js';

export const APPLY_PATH = '/api/apply';

export interface ApplyManifestOptions {
  readonly client: ResourceClient;
  readonly kinds: KindRegistry;
  readonly logger: RestLogger;
  readonly maxBodyBytes: number;
}

export function applyManifestRoutes(opts: ApplyManifestOptions): Router {
  const router = Router();
  const apply: RequestHandler = async (req, res) => {
    try {
      const body: unknown = req.body;
      const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      const { manifests, errors } = parseManifests(bytes, 'manifest');
      if (errors.length > 0) throw badRequest(errors.join('\n'));
      if (manifests.length === 0) throw badRequest('the manifest holds no object');
      const namespace = queryString(req, 'namespace') ?? 'default';
      const dryRun = queryDryRun(req);
      const items: ApplyResult[] = [];
      const client = await requestClient(req, opts.client);
      for (const [i, m] of manifests.entries()) {
        const object = withNamespace(m.object, namespace, opts.kinds);
        try {
          items.push(await client.apply(object, dryRun ? { dryRun } : {}));
        } catch (err) {
          throw manifests.length > 1 ? inDocument(err, i + 1) : err;
        }
      }
      sendJson(res, 200, { kind: 'ApplyResultList', items });
    } catch (err) {
      sendError(res, err, opts.logger, { method: req.method, path: req.path });
    }
  };
  router.post(APPLY_PATH, rawBody(opts.maxBodyBytes), apply);
  return router;
}

/** Namespaced kinds without metadata.namespace go to `namespace` (kubectl's -n). */
function withNamespace(
  object: Record<string, unknown>,
  namespace: string,
  kinds: KindRegistry,
): ResourceInput {
  // Unchecked: a document as the client sent it; the service's admission
  // validates it against its kind's schema before anything is written.
  return withNamespaceDefault(object, namespace, kinds) as unknown as ResourceInput;
}

function withNamespaceDefault(
  object: Record<string, unknown>,
  namespace: string,
  kinds: KindRegistry,
): Record<string, unknown> {
  const info = typeof object.kind === 'string' ? kinds.get(object.kind) : undefined;
  const meta = object.metadata;
  if (!info?.namespaced || typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    return object;
  }
  const m = meta as Record<string, unknown>;
  if (m.namespace !== undefined && m.namespace !== '') return object;
  return { ...object, metadata: { ...m, namespace } };
}

/** The same error, its message saying which document of several it was about. */
function inDocument(err: unknown, index: number): unknown {
  if (err instanceof ManifestInvalidError) {
    Object.defineProperty(err, 'message', { value: `document ${index}: ${err.message}` });
    return err;
  }
  if (err instanceof JobctlError) {
    return new JobctlError(err.reason, `document ${index}: ${err.message}`, { cause: err });
  }
  return err;
}
