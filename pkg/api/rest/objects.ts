// Bodies in and out of the resource routes. A body's kind, namespace and name
// must agree with the URL (or are filled in from it), as Kubernetes demands;
// lists go out as {kind: JobList, metadata: {resourceVersion, continue}, items}.
import type { Request } from 'express';
import type { ListResult } from '../../client/index.js';
import type { Resource, ResourceInput } from '../../store/index.js';
import { JobctlError, Reason } from '../../util/errors.js';
import { API_GROUP } from './discovery.js';
import { queryString } from './query.js';
import type { Target } from './resources-path.js';
import { badRequest } from './status.js';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `body` checked against the URL that carried it and completed from it
 * (apiVersion, kind, metadata.namespace, metadata.name). Other fields are
 * left for the service's validation.
 */
export function objectForTarget(body: Record<string, unknown>, target: Target): ResourceInput {
  const { info } = target;
  if (body.kind !== undefined && body.kind !== info.kind) {
    throw badRequest(
      `the kind of the object (${String(body.kind)}) does not match the resource in the URL (${info.plural}, kind ${info.kind})`,
    );
  }
  if (body.apiVersion !== undefined && body.apiVersion !== info.apiVersion) {
    throw badRequest(
      `the apiVersion of the object (${String(body.apiVersion)}) does not match the URL (${info.apiVersion})`,
    );
  }
  if (body.metadata !== undefined && !isPlainObject(body.metadata)) {
    throw badRequest('metadata must be an object');
  }
  const metadata: Record<string, unknown> = { ...(body.metadata ?? {}) };

  if (info.namespaced && target.namespace !== undefined) {
    if (
      metadata.namespace !== undefined &&
      metadata.namespace !== '' &&
      metadata.namespace !== target.namespace
    ) {
      throw badRequest(
        `the namespace of the object (${String(metadata.namespace)}) does not match the namespace in the URL (${target.namespace})`,
      );
    }
    metadata.namespace = target.namespace;
  }
  if (target.name !== undefined) {
    if (metadata.name !== undefined && metadata.name !== '' && metadata.name !== target.name) {
      throw badRequest(
        `the name of the object (${String(metadata.name)}) does not match the name in the URL (${target.name})`,
      );
    }
    metadata.name = target.name;
  }
  return {
    ...body,
    apiVersion: info.apiVersion,
    kind: info.kind,
    metadata,
  } as ResourceInput;
}

/** A Kubernetes-shaped list body. */
export function listBody(target: Target, result: ListResult): Record<string, unknown> {
  return {
    apiVersion: target.info.apiVersion,
    kind: `${target.info.kind}List`,
    metadata: {
      resourceVersion: result.resourceVersion,
      ...(result.continue ? { continue: result.continue } : {}),
    },
    items: result.items,
  };
}

/** What a DELETE asks for, from its DeleteOptions body and query. */
export interface DeleteRequest {
  readonly preconditions?: { uid?: string; resourceVersion?: string };
  readonly dryRun?: 'server';
}

/**
 * Kubernetes' propagationPolicy: a Job's Runs always go with it (DESIGN.md
 * §3), which is what Background and Foreground ask; Orphan would leave them
 * behind, and is refused rather than ignored.
 */
function checkPropagation(policy: unknown): void {
  if (policy === undefined || policy === null) return;
  if (policy === 'Background' || policy === 'Foreground') return;
  if (policy === 'Orphan') {
    throw new JobctlError(
      Reason.Invalid,
      'propagationPolicy Orphan is not supported: the objects a Job or CronJob owns are deleted with it',
    );
  }
  throw badRequest(
    `propagationPolicy must be Background, Foreground or Orphan, not ${JSON.stringify(policy)}`,
  );
}

/** The preconditions and dryRun of an optional Kubernetes DeleteOptions body (and the query). */
export function deleteOptionsOf(
  body: Record<string, unknown> | undefined,
  req?: Request,
): DeleteRequest {
  checkPropagation(req ? queryString(req, 'propagationPolicy') : undefined);
  if (!body) return {};
  if (body.kind !== undefined && body.kind !== 'DeleteOptions') {
    throw badRequest(`a DELETE body must be DeleteOptions, not ${String(body.kind)}`);
  }
  checkPropagation(body.propagationPolicy);
  if (body.orphanDependents === true) checkPropagation('Orphan');
  const out: { preconditions?: { uid?: string; resourceVersion?: string }; dryRun?: 'server' } = {};
  if (body.preconditions !== undefined && body.preconditions !== null) {
    const p = body.preconditions;
    if (!isPlainObject(p)) throw badRequest('preconditions must be an object');
    const pre: { uid?: string; resourceVersion?: string } = {};
    for (const key of ['uid', 'resourceVersion'] as const) {
      const v = p[key];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string') throw badRequest(`preconditions.${key} must be a string`);
      pre[key] = v;
    }
    out.preconditions = pre;
  }
  if (body.dryRun !== undefined && body.dryRun !== null) {
    const d = body.dryRun;
    if (!Array.isArray(d) || d.some((x) => x !== 'All')) {
      throw badRequest('dryRun must be ["All"] or absent');
    }
    if (d.length > 0) out.dryRun = 'server';
  }
  return out;
}

/**
 * A DELETE's answer: a Success Status naming what went, as Kubernetes answers
 * an object deleted at once (the store removes an object and what it owns in
 * the one write; the agents then stop their containers).
 */
export function deleteAnswer(target: Target, object: Resource): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: {
      name: object.metadata.name,
      group: API_GROUP,
      kind: target.info.plural,
      uid: object.metadata.uid,
    },
  };
}
