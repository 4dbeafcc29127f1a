// The Get and List calls as both clients make them (GrpcClient over grpc-js,
// ReadFirstClient over plain HTTP/2): options -> request message, answer ->
// objects. One place, so the two clients cannot drift apart.
import type { GetOptions, ListOptions, ListResult } from '../client/index.js';
import type { ResourceOf } from '../store/index.js';
import { decodeObject } from './api-wire.js';
import type { GetRequest, ListRequest, ListResponse } from './gen/api.reads.js';

export function getRequestOf(
  kind: string,
  namespace: string,
  name: string,
  opts: GetOptions,
): GetRequest {
  return { kind, namespace, name, consistency: opts.consistency ?? '' };
}

export function listRequestOf(kind: string, opts: ListOptions): ListRequest {
  return {
    kind,
    namespace: opts.namespace ?? '',
    labelSelector: opts.labelSelector ?? '',
    fieldSelector: opts.fieldSelector ?? '',
    limit: opts.limit ?? 0,
    continue: opts.continue ?? '',
    consistency: opts.consistency ?? '',
  };
}

export function listResultOf<K extends string>(res: ListResponse): ListResult<ResourceOf<K>> {
  return {
    items: res.items.map((b) => decodeObject<ResourceOf<K>>(b)),
    resourceVersion: res.resourceVersion,
    ...(res.continue ? { continue: res.continue } : {}),
  };
}
