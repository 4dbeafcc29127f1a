// The resource routes under /apis/jobctl.dev/v1. Each handler is one call on
// the ResourceClient: parse the URL and body, call, write the answer.
//
//   /namespaces/{ns}/{plural}              GET list | ?watch=true, POST create
//   /namespaces/{ns}/{plural}/{name}       GET, PUT update, PATCH apply, DELETE
//   /namespaces/{ns}/{plural}/{name}/status GET, PUT updateStatus
//   /{plural}[/{name}[/status]]            the same for cluster-scoped kinds (nodes);
//                                          GET /{plural} of a namespaced kind lists all namespaces
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { ResourceClient } from '../../client/index.js';
import { API_VERSION, type KindRegistry } from '../../store/index.js';
import { APPLY_PATCH_TYPES, decodeObject, hasBody, rawBody } from './body.js';
import { deleteOptionsOf, listBody, objectForTarget } from './objects.js';
import type { RestLogger } from './logger.js';
import { queryBool, queryConsistency, queryCount, queryDryRun, queryString } from './query.js';
import { requestClient } from './access.js';
import { sendError, sendJson } from './respond.js';
import { API_PREFIX, clusterTarget, namespacedTarget, type Target } from './resources-path.js';
import { HttpError, HttpReason } from './status.js';
import { serveWatch } from './watch.js';

/** Header carrying an apply's outcome: created | configured | unchanged. */
export const OUTCOME_HEADER = 'X-Jobctl-Outcome';

export interface ResourceRoutesOptions {
  readonly client: ResourceClient;
  readonly kinds: KindRegistry;
  readonly logger: RestLogger;
  readonly maxBodyBytes: number;
  readonly watchHeartbeatMs: number;
}

type Handler = (
  req: Request,
  res: Response,
  target: Target,
  client: ResourceClient,
) => Promise<void>;

/** A router to mount at API_PREFIX. */
export function resourceRoutes(opts: ResourceRoutesOptions): Router {
  const { kinds, logger } = opts;
  const router = Router();
  router.use(rawBody(opts.maxBodyBytes));

  /** Resolves the target, runs `fn`, and turns anything thrown into a Status. */
  const handle =
    (fn: Handler, withName: boolean): RequestHandler =>
    async (req, res) => {
      const p = req.params as Record<string, string | undefined>;
      try {
        const name = withName ? p.name : undefined;
        const target =
          p.namespace !== undefined
            ? namespacedTarget(kinds, p.namespace, p.plural ?? '', name)
            : clusterTarget(kinds, p.plural ?? '', name);
        await fn(req, res, target, await requestClient(req, opts.client));
      } catch (err) {
        sendError(res, err, logger, { method: req.method, path: req.path });
      }
    };

  const list: Handler = async (req, res, target, client) => {
    if (queryBool(req, 'watch')) {
      await serveWatch(
        req,
        res,
        client,
        {
          target,
          labelSelector: queryString(req, 'labelSelector'),
          fieldSelector: queryString(req, 'fieldSelector'),
          resourceVersion: queryString(req, 'resourceVersion'),
          timeoutSeconds: queryCount(req, 'timeoutSeconds'),
        },
        { heartbeatMs: opts.watchHeartbeatMs, logger },
      );
      return;
    }
    const result = await client.list(target.info.kind, {
      namespace: target.namespace,
      labelSelector: queryString(req, 'labelSelector'),
      fieldSelector: queryString(req, 'fieldSelector'),
      limit: queryCount(req, 'limit'),
      continue: queryString(req, 'continue'),
      consistency: queryConsistency(req),
    });
    sendJson(res, 200, listBody(target, result));
  };

  const create: Handler = async (req, res, target, client) => {
    if (target.namespace === undefined) {
      throw new HttpError(
        HttpReason.MethodNotAllowed,
        `to create ${target.info.plural}, POST to ${API_PREFIX}/namespaces/{namespace}/${target.info.plural}`,
      );
    }
    const object = objectForTarget(decodeObject(req), target);
    sendJson(res, 201, await client.create(object));
  };

  const get: Handler = async (req, res, target, client) => {
    const consistency = queryConsistency(req);
    const object = await client.get(
      target.info.kind,
      target.namespace ?? '',
      target.name ?? '',
      consistency ? { consistency } : {},
    );
    sendJson(res, 200, object);
  };

  const update: Handler = async (req, res, target, client) => {
    const object = objectForTarget(decodeObject(req), target);
    sendJson(res, 200, await client.update(object));
  };

  const updateStatus: Handler = async (req, res, target, client) => {
    const object = objectForTarget(decodeObject(req), target);
    sendJson(res, 200, await client.updateStatus(object));
  };

  const apply: Handler = async (req, res, target, client) => {
    const object = objectForTarget(decodeObject(req, APPLY_PATCH_TYPES), target);
    const dryRun = queryDryRun(req);
    const result = await client.apply(object, {
      ...(dryRun ? { dryRun } : {}),
      ...(queryBool(req, 'force') ? { force: true } : {}),
    });
    if (res.headersSent) return;
    res.setHeader(OUTCOME_HEADER, result.outcome);
    sendJson(res, result.outcome === 'created' ? 201 : 200, result.object);
  };

  const remove: Handler = async (req, res, target, client) => {
    const fromBody = deleteOptionsOf(hasBody(req) ? decodeObject(req) : undefined);
    const dryRun = queryDryRun(req) ?? fromBody.dryRun;
    const object = await client.delete(
      target.info.kind,
      target.namespace ?? '',
      target.name ?? '',
      {
        ...(fromBody.preconditions ? { preconditions: fromBody.preconditions } : {}),
        ...(dryRun ? { dryRun } : {}),
      },
    );
    sendJson(res, 200, object);
  };

  /** Any other method on a known path: 405 with Allow. */
  const notAllowed =
    (allowed: string[]): RequestHandler =>
    (req, res) => {
      res.setHeader('Allow', allowed.join(', '));
      sendError(
        res,
        new HttpError(
          HttpReason.MethodNotAllowed,
          `method ${req.method} is not allowed here; allowed: ${allowed.join(', ')}`,
        ),
        logger,
      );
    };

  for (const base of ['/namespaces/:namespace/:plural', '/:plural']) {
    router
      .route(base)
      .get(handle(list, false))
      .post(handle(create, false))
      .all(notAllowed(['GET', 'POST']));
    router
      .route(`${base}/:name`)
      .get(handle(get, true))
      .put(handle(update, true))
      .patch(handle(apply, true))
      .delete(handle(remove, true))
      .all(notAllowed(['GET', 'PUT', 'PATCH', 'DELETE']));
    router
      .route(`${base}/:name/status`)
      .get(handle(get, true))
      .put(handle(updateStatus, true))
      .all(notAllowed(['GET', 'PUT']));
  }
  return router;
}

/** GET /apis/jobctl.dev/v1: Kubernetes API discovery for the served kinds. */
export function discoveryBody(kinds: KindRegistry): Record<string, unknown> {
  const resources = kinds.kinds().flatMap((k) => [
    {
      name: k.plural,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      ...(k.shortNames.length > 0 ? { shortNames: k.shortNames } : {}),
    },
    {
      name: `${k.plural}/status`,
      singularName: '',
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: ['get', 'update'],
    },
  ]);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: API_VERSION, resources };
}
