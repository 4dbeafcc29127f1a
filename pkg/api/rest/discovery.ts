// API discovery as Kubernetes clients (kubectl, client-go, @kubernetes/client-node)
// read it before their first real request:
//
//   GET /api                       404 Status: no legacy core group is served here
//   GET /apis                      APIGroupList with the one group, jobctl.dev
//   GET /apis/jobctl.dev           APIGroup
//   GET /apis/jobctl.dev/v1        APIResourceList: every kind and its subresources
//   GET /version                   version.Info
//
// Since 1.26 clients ask for aggregated discovery first (an Accept naming
// apidiscovery.k8s.io's APIGroupDiscoveryList) and fall back to these legacy
// forms when the answer's Content-Type is plain application/json, so that is
// what every request gets, whatever its Accept: never a 406.
import { Router } from 'express';
import { API_VERSION, type KindInfo, type KindRegistry } from '../../store/index.js';
import { Reason } from '../../util/errors.js';
import { sendJson, sendStatus } from './respond.js';
import { API_PREFIX } from './resources-path.js';
import { newStatus } from './status.js';

/** 'jobctl.dev' */
export const API_GROUP = API_VERSION.split('/')[0] ?? '';
/** 'v1' */
export const GROUP_VERSION = API_VERSION.split('/')[1] ?? '';

/** The verbs every kind serves (the ResourceClient has each of them). */
const OBJECT_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
/** Kinds `kubectl get all` (category "all") shows: the ones a user's work makes. */
const ALL_CATEGORY = new Set(['Job', 'CronJob', 'Run']);
/** Read-only subresources beyond status: a Run's output, and a Job's latest Run's. */
const LOG_SUBRESOURCES: Readonly<Record<string, string>> = { Run: 'runs/log', Job: 'jobs/log' };

/** One kind's resources: the kind itself, its status and (Runs, Jobs) its log. */
function kindResources(k: KindInfo): Record<string, unknown>[] {
  const sub = (name: string, verbs: string[]): Record<string, unknown> => ({
    name,
    singularName: '',
    namespaced: k.namespaced,
    kind: k.kind,
    verbs,
  });
  const log = LOG_SUBRESOURCES[k.kind];
  return [
    {
      name: k.plural,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: OBJECT_VERBS,
      ...(k.shortNames.length > 0 ? { shortNames: k.shortNames } : {}),
      categories: ALL_CATEGORY.has(k.kind) ? ['all', 'jobctl'] : ['jobctl'],
    },
    sub(`${k.plural}/status`, ['get', 'patch', 'update']),
    ...(log ? [sub(log, ['get'])] : []),
  ];
}

/** GET /apis/jobctl.dev/v1: an APIResourceList of the served kinds. */
export function resourceListBody(kinds: KindRegistry): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: API_VERSION,
    resources: kinds.kinds().flatMap(kindResources),
  };
}

function groupBody(): Record<string, unknown> {
  const version = { groupVersion: API_VERSION, version: GROUP_VERSION };
  return { name: API_GROUP, versions: [version], preferredVersion: version };
}

/** Kubernetes' version.Info, filled from jobctl's version (x.y.z). */
export function versionBody(version: string): Record<string, unknown> {
  const [major = '0', minor = '0'] = version.split('.');
  return {
    major,
    minor,
    gitVersion: `v${version}`,
    gitCommit: '',
    gitTreeState: '',
    buildDate: '',
    goVersion: '',
    compiler: 'node',
    platform: `${process.platform}/${process.arch}`,
  };
}

/** `version`: jobctl's, as x.y.z. */
export function discoveryRoutes(kinds: KindRegistry, version: string): Router {
  const router = Router();
  router.get('/api', (_req, res) =>
    sendStatus(
      res,
      newStatus(404, Reason.NotFound, 'the server serves no legacy API group at /api; see /apis'),
    ),
  );
  router.get('/apis', (_req, res) =>
    sendJson(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [groupBody()] }),
  );
  router.get(`/apis/${API_GROUP}`, (_req, res) =>
    sendJson(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...groupBody() }),
  );
  router.get(API_PREFIX, (_req, res) => sendJson(res, 200, resourceListBody(kinds)));
  router.get('/version', (_req, res) => sendJson(res, 200, versionBody(version)));
  return router;
}
