// The kind registry: everything the store (and the CLI's name resolution) needs
// to know about a kind lives in one record here, so adding a kind (e.g. Event)
// is one more entry in BUILTIN_KINDS and no code change elsewhere in the store.
import { API_VERSION, type Resource, type ResourceOf } from './types.js';

export interface KindInfo {
  /** CamelCase kind as in manifests: 'Job'. */
  readonly kind: string;
  readonly apiVersion: string;
  /** Lower-case plural used in paths and messages: 'jobs'. */
  readonly plural: string;
  /** Lower-case singular: 'job'. */
  readonly singular: string;
  readonly shortNames: readonly string[];
  /** Cluster-scoped kinds (Node) are stored with namespace ''. */
  readonly namespaced: boolean;
  /** Spec fields that cannot change after creation (apply --force recreates). */
  readonly immutableSpecFields: readonly string[];
  /** Field selector paths accepted beyond metadata.name and metadata.namespace. */
  readonly fieldSelectors: readonly string[];
}

const authKind = (kind: string, plural: string, namespaced: boolean): KindInfo => ({
  kind,
  apiVersion: API_VERSION,
  plural,
  singular: kind.toLowerCase(),
  shortNames: [],
  namespaced,
  immutableSpecFields: [],
  fieldSelectors: [],
});

const AUTH_KINDS: readonly KindInfo[] = [
  authKind('Token', 'tokens', false),
  authKind('RoleBinding', 'rolebindings', true),
  authKind('ClusterRoleBinding', 'clusterrolebindings', false),
];

export const BUILTIN_KINDS: readonly KindInfo[] = [
  {
    kind: 'Job',
    apiVersion: API_VERSION,
    plural: 'jobs',
    singular: 'job',
    shortNames: [],
    namespaced: true,
    immutableSpecFields: ['image', 'command', 'env', 'workingDir', 'resources', 'sandbox', 'queue'],
    fieldSelectors: ['status.phase'],
  },
  {
    kind: 'Run',
    apiVersion: API_VERSION,
    plural: 'runs',
    singular: 'run',
    shortNames: [],
    namespaced: true,
    immutableSpecFields: [],
    fieldSelectors: ['spec.nodeName', 'spec.jobName', 'spec.jobUid', 'status.phase'],
  },
  {
    kind: 'Node',
    apiVersion: API_VERSION,
    plural: 'nodes',
    singular: 'node',
    shortNames: ['no'],
    namespaced: false,
    immutableSpecFields: [],
    fieldSelectors: ['spec.unschedulable'],
  },
  {
    kind: 'CronJob',
    apiVersion: API_VERSION,
    plural: 'cronjobs',
    singular: 'cronjob',
    shortNames: ['cj'],
    namespaced: true,
    immutableSpecFields: [],
    fieldSelectors: [],
  },
  {
    // Events (pkg/events): what controllers and agents did to an object. The
    // fields live under spec (the store keeps spec/status only); a cluster-scoped
    // object's events are stored in namespace 'default'.
    kind: 'Event',
    apiVersion: API_VERSION,
    plural: 'events',
    singular: 'event',
    shortNames: ['ev'],
    namespaced: true,
    immutableSpecFields: [],
    fieldSelectors: [
      'spec.involvedObject.kind',
      'spec.involvedObject.namespace',
      'spec.involvedObject.name',
      'spec.involvedObject.uid',
      'spec.type',
      'spec.reason',
      'spec.source.component',
      'spec.source.node',
    ],
  },
  {
    // Which sandbox relaxations Jobs in the namespace may ask for (pkg/api/sandbox-policy.ts).
    kind: 'SandboxPolicy',
    apiVersion: API_VERSION,
    plural: 'sandboxpolicies',
    singular: 'sandboxpolicy',
    shortNames: ['sbp'],
    namespaced: true,
    immutableSpecFields: [],
    fieldSelectors: [],
  },
  {
    // A cluster-wide cap on the running Runs of the Jobs naming it (spec.queue);
    // the scheduler keeps its status (pkg/controllers/scheduler/queues.ts).
    kind: 'Queue',
    apiVersion: API_VERSION,
    plural: 'queues',
    singular: 'queue',
    shortNames: [],
    namespaced: false,
    immutableSpecFields: [],
    fieldSelectors: [],
  },
  // Authentication and authorization (pkg/auth): bearer tokens (hashed) and
  // role bindings, namespaced and cluster-wide.
  ...AUTH_KINDS,
];

/** Field selector paths every kind supports. */
export const COMMON_FIELD_SELECTORS: readonly string[] = ['metadata.name', 'metadata.namespace'];

/** An immutable lookup table over a set of kinds. */
export class KindRegistry {
  private readonly byKind = new Map<string, KindInfo>();
  private readonly byAlias = new Map<string, KindInfo>();

  constructor(kinds: readonly KindInfo[]) {
    for (const info of kinds) {
      if (this.byKind.has(info.kind)) throw new Error(`kind ${info.kind} registered twice`);
      this.byKind.set(info.kind, info);
      const group = info.apiVersion.split('/')[0] ?? '';
      for (const alias of [info.kind, info.plural, info.singular, ...info.shortNames]) {
        this.byAlias.set(alias.toLowerCase(), info);
        // `jobs.jobctl.dev`, as kubectl accepts fully-qualified resource names.
        if (group) this.byAlias.set(`${alias.toLowerCase()}.${group}`, info);
      }
    }
  }

  /** The info of an exact kind ('Job'), or undefined. */
  get(kind: string): KindInfo | undefined {
    return this.byKind.get(kind);
  }

  /** Resolves what a user types: 'job', 'jobs', 'Job', 'cj', 'jobs.jobctl.dev'. */
  resolve(nameOrAlias: string): KindInfo | undefined {
    return this.byAlias.get(nameOrAlias.toLowerCase());
  }

  /** Every registered kind, in registration order. */
  kinds(): readonly KindInfo[] {
    return [...this.byKind.values()];
  }

  /** A new registry with more kinds added (the original is unchanged). */
  with(...more: KindInfo[]): KindRegistry {
    return new KindRegistry([...this.byKind.values(), ...more]);
  }
}

export const defaultKinds = new KindRegistry(BUILTIN_KINDS);

/**
 * `object` typed as the kind it was asked for or written as: where the typed
 * API (`get('Job', ...)` resolves to a Job) meets what the store holds. Sound
 * because the store admits an object only after validating it against its
 * kind's schema, and every answer about kind K (a read of K, a write of an
 * object of kind K) is an object of kind K. Kinds outside KindMap, and the
 * kubectl spellings, stay plain Resources (see ResourceOf).
 */
export function ofKind<K extends string>(_kind: K, object: Resource): ResourceOf<K> {
  return object as ResourceOf<K>;
}
