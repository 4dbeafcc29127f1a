// The resource routes under /apis/jobctl.dev/v1. Each handler is one call on
// the ResourceClient (a PATCH two: read, then write): parse the URL and body,
// call, write the answer.
//
//   /namespaces/{ns}/{plural}              GET list | ?watch=true, POST create (201)
//   /namespaces/{ns}/{plural}/{name}       GET, PUT update, PATCH, DELETE
//   /namespaces/{ns}/{plural}/{name}/status GET, PUT updateStatus, PATCH
//   /{plural}[/{name}[/status]]            the same for cluster-scoped kinds (nodes);
//                                          GET /{plural} of a namespaced kind lists all namespaces
//
// Reads answer a server-side Table when the Accept header asks for one
// (./accept.ts, ./table.ts). PATCH takes server-side apply bodies (the
// client's apply), merge and JSON patches (./patch.ts); other types get 415.
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { ResourceClient } from '../../client/index.js';
import type { KindRegistry } from '../../store/index.js';
import { JobctlError, Reason } from '../../util/errors.js';
import { tableRequested } from './accept.js';
import { APPLY_PATCH_TYPES, decodeObject, hasBody, mediaType, rawBody } from './body.js';
import { deleteAnswer, deleteOptionsOf, listBody, objectForTarget } from './objects.js';
import type { RestLogger } from './logger.js';
import { isPatchType, unsupportedPatch } from './patch.js';
import { patchObject } from './patch-object.js';
import {
  queryBool,
  queryConsistency,
  queryCount,
  queryDryRun,
  queryFieldValidation,
  queryString,
} from './query.js';
import { requestClient } from './access.js';
import { sendError, sendJson, sendObject } from './respond.js';
import { API_PREFIX, clusterTarget, namespacedTarget, type Target } from './resources-path.js';
import { HttpError, HttpReason, subjectOf } from './status.js';
import { tableContext, toTable } from './table.js';
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

  /** Resolves the target, runs `fn`, and turns anything thrown into a Status about the target. */
  const handle =
    (fn: Handler, withName: boolean): RequestHandler =>
    async (req, res) => {
      const p = req.params as Record<string, string | undefined>;
      let target: Target | undefined;
      try {
        const name = withName ? p.name : undefined;
        target =
          p.namespace !== undefined
            ? namespacedTarget(kinds, p.namespace, p.plural ?? '', name)
            : clusterTarget(kinds, p.plural ?? '', name);
        await fn(req, res, target, await requestClient(req, opts.client));
      } catch (err) {
        const context = { method: req.method, path: req.path };
        sendError(res, err, logger, context, target && subjectOf(target));
      }
    };

  const list: Handler = async (req, res, target, client) => {
    const table = tableRequested(req);
    if (queryBool(req, 'watch')) {
      const ctx = table ? await tableContext(target.info.kind, client) : undefined;
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
          bookmarks: queryBool(req, 'allowWatchBookmarks'),
        },
        {
          heartbeatMs: opts.watchHeartbeatMs,
          logger,
          ...(table && ctx ? { render: (o) => toTable(target.info.kind, [o], table, ctx) } : {}),
        },
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
    if (table) {
      const ctx = await tableContext(target.info.kind, client);
      sendJson(res, 200, toTable(target.info.kind, result.items, table, ctx, result));
      return;
    }
    sendJson(res, 200, listBody(target, result));
  };

  const create: Handler = async (req, res, target, client) => {
    if (target.namespace === undefined) {
      throw new HttpError(
        HttpReason.MethodNotAllowed,
        `to create ${target.info.plural}, POST to ${API_PREFIX}/namespaces/{namespace}/${target.info.plural}`,
      );
    }
    queryFieldValidation(req);
    const object = objectForTarget(decodeObject(req), target);
    const dryRun = queryDryRun(req);
    if (dryRun) {
      // A dry-run create is a dry-run apply that must find nothing there.
      const result = await client.apply(object, { dryRun });
      if (result.outcome !== 'created') {
        const name = JSON.stringify(object.metadata.name);
        throw new JobctlError(Reason.AlreadyExists, `${target.info.plural} ${name} already exists`);
      }
      sendObject(res, 201, result.object);
      return;
    }
    sendObject(res, 201, await client.create(object));
  };

  const get: Handler = async (req, res, target, client) => {
    const consistency = queryConsistency(req);
    const object = await client.get(
      target.info.kind,
      target.namespace ?? '',
      target.name ?? '',
      consistency ? { consistency } : {},
    );
    const table = tableRequested(req);
    if (table) {
      const ctx = await tableContext(target.info.kind, client);
      sendJson(res, 200, toTable(target.info.kind, [object], table, ctx, object.metadata));
      return;
    }
    sendObject(res, 200, object);
  };

  const update: Handler = async (req, res, target, client) => {
    queryFieldValidation(req);
    const object = objectForTarget(decodeObject(req), target);
    sendObject(res, 200, await client.update(object));
  };

  const updateStatus: Handler = async (req, res, target, client) => {
    queryFieldValidation(req);
    const object = objectForTarget(decodeObject(req), target);
    sendObject(res, 200, await client.updateStatus(object));
  };

  /** Server-side apply bodies are the client's apply; merge and JSON patches patch the stored object. */
  const patch =
    (subresource: 'status' | undefined): Handler =>
    async (req, res, target, client) => {
      queryFieldValidation(req);
      const type = mediaType(req);
      if (isPatchType(type)) {
        const body: unknown = req.body;
        const bytes = Buffer.isBuffer(body) ? body : undefined;
        sendObject(res, 200, await patchObject(client, target, type, bytes, subresource));
        return;
      }
      if (!APPLY_PATCH_TYPES.has(type) || subresource) {
        throw unsupportedPatch(type, subresource ? [] : [...APPLY_PATCH_TYPES]);
      }
      const object = objectForTarget(decodeObject(req, APPLY_PATCH_TYPES), target);
      const dryRun = queryDryRun(req);
      const result = await client.apply(object, {
        ...(dryRun ? { dryRun } : {}),
        ...(queryBool(req, 'force') ? { force: true } : {}),
      });
      if (res.headersSent) return;
      res.setHeader(OUTCOME_HEADER, result.outcome);
      sendObject(res, result.outcome === 'created' ? 201 : 200, result.object);
    };

  const remove: Handler = async (req, res, target, client) => {
    const fromBody = deleteOptionsOf(hasBody(req) ? decodeObject(req) : undefined, req);
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
    sendJson(res, 200, deleteAnswer(target, object));
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
      .patch(handle(patch(undefined), true))
      .delete(handle(remove, true))
      .all(notAllowed(['GET', 'PUT', 'PATCH', 'DELETE']));
    router
      .route(`${base}/:name/status`)
      .get(handle(get, true))
      .put(handle(updateStatus, true))
      .patch(handle(patch('status'), true))
      .all(notAllowed(['GET', 'PUT', 'PATCH']));
  }
  return router;
}
