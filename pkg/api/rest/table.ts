// Server-side printing: objects as a meta.k8s.io Table whose columns are the
// ones `jobctl get` prints (pkg/api/columns), so `kubectl get jobs.jobctl.dev`
// shows what `jobctl get jobs` shows. kubectl adds NAMESPACE (-A) and LABELS
// (--show-labels) itself from each row's object, which is the object's
// metadata by default, the whole object with includeObject=Object (kubectl
// asks for it to --sort-by), or nothing with includeObject=None.
import { printerColumns, type CellContext } from '../columns/index.js';
import type { ResourceClient } from '../../client/index.js';
import { isFinalRunPhase, type Resource } from '../../store/index.js';
import type { TableRequest } from './accept.js';

export interface TableMeta {
  readonly resourceVersion?: string;
  readonly continue?: string;
}

function rowObject(o: Resource, include: TableRequest['includeObject']): unknown {
  if (include === 'Object') return o;
  if (include === 'None') return undefined;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

/** `objects` of `kind` as one Table (a list, a get, or one watch event). */
export function toTable(
  kind: string,
  objects: readonly Resource[],
  request: TableRequest,
  ctx: CellContext,
  meta: TableMeta = {},
): Record<string, unknown> {
  const columns = printerColumns(kind);
  return {
    kind: 'Table',
    apiVersion: request.apiVersion,
    metadata: {
      ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
      ...(meta.continue ? { continue: meta.continue } : {}),
    },
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description,
      priority: c.priority,
    })),
    rows: objects.map((o) => {
      const object = rowObject(o, request.includeObject);
      return {
        cells: columns.map((c) => c.cell(o, ctx)),
        ...(object !== undefined ? { object } : {}),
      };
    }),
  };
}

/**
 * The context cells are computed in: now, and for nodes the active Runs on
 * each (best effort, as `jobctl get nodes` does: without them RUNS shows the limit).
 */
export async function tableContext(
  kind: string,
  client: ResourceClient,
  now: () => number = Date.now,
): Promise<CellContext> {
  const ctx: CellContext = { now: now() };
  if (kind !== 'Node') return ctx;
  try {
    const runs = await client.list('Run', { consistency: 'stale' });
    const counts = new Map<string, number>();
    for (const r of runs.items) {
      const node = r.spec?.nodeName;
      if (node && !isFinalRunPhase(r.status?.phase)) counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    return { ...ctx, activeRunsByNode: counts };
  } catch {
    return ctx;
  }
}
