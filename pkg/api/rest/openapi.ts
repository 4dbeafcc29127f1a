// OpenAPI documents of the API, generated from manifests/crds, in the forms
// kubectl reads:
//
//   GET /openapi/v3                          index: {paths: {"apis/jobctl.dev/v1": {serverRelativeURL}}}
//   GET /openapi/v3/apis/jobctl.dev/v1       OpenAPI 3.0 document of the group version
//   GET /openapi/v2                          Swagger 2.0: JSON, or protobuf when the
//                                            Accept asks for it (what kubectl sends)
//
// Each operation carries x-kubernetes-group-version-kind and x-kubernetes-action
// and its query parameters, fieldValidation among them: kubectl looks for it
// on the PATCH operation to decide that the server validates (it then sends
// fieldValidation=Strict instead of validating itself). PATCH lists merge and
// JSON patches, not strategic merge patches, so `kubectl apply` sends merge patches.
import { createHash } from 'node:crypto';
import { Router } from 'express';
import type { KindRegistry } from '../../store/index.js';
import { API_GROUP, GROUP_VERSION } from './discovery.js';
import { JSON_PATCH, MERGE_PATCH } from './patch.js';
import { definitionName, gvkOf, kindSchemas, type OpenApiSchema } from './openapi-schemas.js';
import { swaggerToProtobuf } from './openapi-v2-proto.js';
import { API_PREFIX } from './resources-path.js';
import { sendJson } from './respond.js';

type Doc = Record<string, unknown>;

/** One operation of a path, in a form both versions are made from. */
interface OperationSpec {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  readonly action: 'list' | 'watchlist' | 'post' | 'get' | 'put' | 'patch' | 'delete';
  readonly id: string;
  readonly description: string;
  readonly query: readonly string[];
  /** The request body: the kind's schema, or a patch (any object). */
  readonly body?: 'object' | 'patch';
  /** The answer: the kind, or something else (a list, a Status). */
  readonly returns: 'object' | 'other';
}

const QUERY_DOCS: Readonly<Record<string, string>> = {
  labelSelector: 'A selector to restrict the list of returned objects by their labels.',
  fieldSelector:
    'A selector to restrict the list by fields: metadata.name, metadata.namespace and per-kind fields.',
  limit: 'The most objects to return; continue with the continue token of the answer.',
  continue: 'The continue token of a previous page.',
  resourceVersion:
    'With watch: deliver every change after this version (0: the current objects first).',
  watch: 'Stream ADDED, MODIFIED and DELETED events as newline-delimited JSON.',
  allowWatchBookmarks: 'With watch: send BOOKMARK events while the stream is idle.',
  timeoutSeconds: 'With watch: end the stream after this many seconds.',
  dryRun: 'All: validate and answer as if written, writing nothing.',
  fieldValidation:
    'Ignore, Warn or Strict. Every write is validated strictly against the schema: unknown fields are refused.',
  fieldManager: 'Accepted for compatibility; not recorded.',
  force: 'With a server-side apply: recreate the object when an immutable field changes.',
  propagationPolicy: 'Background or Foreground: the objects a Job owns are deleted with it.',
  includeObject: 'With a Table: None, Metadata or Object.',
};

const LIST_QUERY = [
  'labelSelector',
  'fieldSelector',
  'limit',
  'continue',
  'resourceVersion',
  'watch',
  'allowWatchBookmarks',
  'timeoutSeconds',
];
const WRITE_QUERY = ['dryRun', 'fieldValidation', 'fieldManager'];

function pathsOf(kinds: KindRegistry): Map<string, { kind: string; ops: OperationSpec[] }> {
  const paths = new Map<string, { kind: string; ops: OperationSpec[] }>();
  for (const k of kinds.kinds()) {
    const scope = k.namespaced ? 'Namespaced' : '';
    const base = k.namespaced
      ? `${API_PREFIX}/namespaces/{namespace}/${k.plural}`
      : `${API_PREFIX}/${k.plural}`;
    const id = (verb: string, suffix = ''): string =>
      `${verb}JobctlDevV1${scope}${k.kind}${suffix}`;
    paths.set(base, {
      kind: k.kind,
      ops: [
        {
          method: 'get',
          action: 'list',
          id: id('list'),
          description: `list or watch ${k.kind} objects`,
          query: LIST_QUERY,
          returns: 'other',
        },
        {
          method: 'post',
          action: 'post',
          id: id('create'),
          description: `create a ${k.kind}`,
          query: WRITE_QUERY,
          body: 'object',
          returns: 'object',
        },
      ],
    });
    if (k.namespaced) {
      paths.set(`${API_PREFIX}/${k.plural}`, {
        kind: k.kind,
        ops: [
          {
            method: 'get',
            action: 'list',
            id: `listJobctlDevV1${k.kind}ForAllNamespaces`,
            description: `list or watch ${k.kind} objects in every namespace`,
            query: LIST_QUERY,
            returns: 'other',
          },
        ],
      });
    }
    for (const [suffix, sub] of [
      ['', ''],
      ['/status', 'Status'],
    ] as const) {
      const what = sub ? `the status of a ${k.kind}` : `a ${k.kind}`;
      paths.set(`${base}/{name}${suffix}`, {
        kind: k.kind,
        ops: [
          {
            method: 'get',
            action: 'get',
            id: id('read', sub),
            description: `read ${what}`,
            query: [],
            returns: 'object',
          },
          {
            method: 'put',
            action: 'put',
            id: id('replace', sub),
            description: `replace ${what}`,
            query: WRITE_QUERY,
            body: 'object',
            returns: 'object',
          },
          {
            method: 'patch',
            action: 'patch',
            id: id('patch', sub),
            description: `partially update ${what}`,
            query: [...WRITE_QUERY, 'force'],
            body: 'patch',
            returns: 'object',
          },
          ...(sub
            ? []
            : [
                {
                  method: 'delete',
                  action: 'delete',
                  id: id('delete'),
                  description: `delete ${what}`,
                  query: ['dryRun', 'propagationPolicy'],
                  returns: 'other',
                } as const,
              ]),
        ],
      });
    }
  }
  return paths;
}

const pathParams = (path: string): string[] =>
  [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);

const PATCH_TYPES = [MERGE_PATCH, JSON_PATCH];

/** The OpenAPI 3.0 document of jobctl.dev/v1. */
export function openApiV3(kinds: KindRegistry, version: string): Doc {
  const schemas = Object.fromEntries(
    [...kindSchemas()].map(([name, { schema }]) => [name, schema]),
  );
  const ref = (kind: string): OpenApiSchema => ({
    $ref: `#/components/schemas/${definitionName(kind)}`,
  });
  const paths: Record<string, Doc> = {};
  for (const [path, { kind, ops }] of pathsOf(kinds)) {
    const item: Doc = {
      parameters: pathParams(path).map((name) => ({
        name,
        in: 'path',
        required: true,
        description: name === 'namespace' ? 'object name and auth scope' : `name of the ${kind}`,
        schema: { type: 'string', uniqueItems: true },
      })),
    };
    for (const op of ops) {
      const json = { schema: op.returns === 'object' ? ref(kind) : { type: 'object' } };
      item[op.method] = {
        description: op.description,
        operationId: op.id,
        tags: [`jobctlDev_${GROUP_VERSION}`],
        parameters: op.query.map((name) => ({
          name,
          in: 'query',
          description: QUERY_DOCS[name] ?? '',
          schema: {
            type: ['watch', 'allowWatchBookmarks', 'force'].includes(name)
              ? 'boolean'
              : ['limit', 'timeoutSeconds'].includes(name)
                ? 'integer'
                : 'string',
          },
        })),
        ...(op.body
          ? {
              requestBody: {
                required: true,
                content: Object.fromEntries(
                  (op.body === 'patch'
                    ? PATCH_TYPES
                    : ['application/json', 'application/yaml']
                  ).map((t) => [
                    t,
                    { schema: op.body === 'patch' ? { type: 'object' } : ref(kind) },
                  ]),
                ),
              },
            }
          : {}),
        responses: {
          '200': { description: 'OK', content: { 'application/json': json } },
          ...(op.method === 'post'
            ? { '201': { description: 'Created', content: { 'application/json': json } } }
            : {}),
        },
        'x-kubernetes-action': op.action,
        'x-kubernetes-group-version-kind': gvkOf(kind),
      };
    }
    paths[path] = item;
  }
  return {
    openapi: '3.0.0',
    info: { title: 'jobctl', version: `v${version}` },
    paths,
    components: { schemas },
  };
}

/** The Swagger 2.0 document (what kubectl reads before OpenAPI v3, and older kubectl only). */
export function openApiV2(kinds: KindRegistry, version: string): Doc {
  const v3 = openApiV3(kinds, version);
  const definitions = (v3.components as { schemas: Doc }).schemas;
  const toV2 = (value: unknown): unknown =>
    JSON.parse(JSON.stringify(value).replaceAll('"#/components/schemas/', '"#/definitions/'));
  const paths: Record<string, Doc> = {};
  for (const [path, item] of Object.entries(v3.paths as Record<string, Doc>)) {
    const out: Doc = {
      parameters: (item.parameters as Doc[]).map(({ schema: _s, ...p }) => ({
        ...p,
        type: 'string',
      })),
    };
    for (const [method, value] of Object.entries(item)) {
      if (method === 'parameters') continue;
      const op = value as Doc;
      const body = op.requestBody as { content: Record<string, { schema: unknown }> } | undefined;
      const responses = op.responses as Record<
        string,
        { description: string; content: Record<string, { schema: unknown }> }
      >;
      out[method] = {
        description: op.description,
        operationId: op.operationId,
        consumes: body ? Object.keys(body.content) : undefined,
        produces: ['application/json', 'application/yaml'],
        parameters: [
          ...(body
            ? [
                {
                  name: 'body',
                  in: 'body',
                  required: true,
                  schema: toV2(Object.values(body.content)[0]?.schema),
                },
              ]
            : []),
          ...(
            op.parameters as {
              name: string;
              in: string;
              description: string;
              schema: { type: string };
            }[]
          ).map((p) => ({
            name: p.name,
            in: p.in,
            description: p.description,
            type: p.schema.type,
            uniqueItems: true,
          })),
        ],
        responses: Object.fromEntries(
          Object.entries(responses).map(([code, r]) => [
            code,
            { description: r.description, schema: toV2(r.content['application/json']?.schema) },
          ]),
        ),
        'x-kubernetes-action': op['x-kubernetes-action'],
        'x-kubernetes-group-version-kind': op['x-kubernetes-group-version-kind'],
      };
    }
    paths[path] = JSON.parse(JSON.stringify(out)) as Doc;
  }
  return { swagger: '2.0', info: v3.info, paths, definitions };
}

/** Accept headers of kubectl's OpenAPI v2 download ("...spec.v2@v1.0+protobuf", or v2.v1.0). */
const wantsProtobuf = (accept: string | undefined): boolean => (accept ?? '').includes('protobuf');

export function openApiRoutes(kinds: KindRegistry, version: string): Router {
  const router = Router();
  // Built on first request, then kept: the schemas do not change while the server runs.
  let v3: { body: string; hash: string } | undefined;
  let v2: { json: string; proto: Uint8Array } | undefined;
  const groupVersionPath = `apis/${API_GROUP}/${GROUP_VERSION}`;
  const v3Doc = (): { body: string; hash: string } => {
    if (!v3) {
      const body = JSON.stringify(openApiV3(kinds, version));
      v3 = {
        body,
        hash: createHash('sha512').update(body).digest('hex').slice(0, 64).toUpperCase(),
      };
    }
    return v3;
  };
  router.get('/openapi/v3', (_req, res) =>
    sendJson(res, 200, {
      paths: {
        [groupVersionPath]: {
          serverRelativeURL: `/openapi/v3/${groupVersionPath}?hash=${v3Doc().hash}`,
        },
      },
    }),
  );
  router.get(`/openapi/v3/${groupVersionPath}`, (_req, res) => {
    res.status(200).type('application/json').send(v3Doc().body);
  });
  router.get('/openapi/v2', (req, res) => {
    if (!v2) {
      const doc = openApiV2(kinds, version);
      v2 = { json: JSON.stringify(doc), proto: swaggerToProtobuf(doc) };
    }
    if (wantsProtobuf(req.headers.accept)) {
      res
        .status(200)
        .type('application/com.github.proto-openapi.spec.v2.v1.0+protobuf')
        .send(Buffer.from(v2.proto));
      return;
    }
    res.status(200).type('application/json').send(v2.json);
  });
  return router;
}
