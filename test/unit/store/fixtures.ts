// Test fixtures: a harness that drives a ResourceStore the way Raft's shell
// does (encoded commands at increasing indexes), plus builders for objects.
import assert from 'node:assert/strict';
import {
  API_VERSION,
  encodeCommand,
  ResourceStore,
  type Command,
  type CommandResult,
  type ErrorResult,
  type JobSpec,
  type ObjectResult,
  type ResourceInput,
  type ResourceStoreOptions,
} from '../../../pkg/store/index.js';
import { SeededRng } from '../../../pkg/util/rng.js';

export function jobSpec(overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    image: 'busybox:latest',
    imagePullPolicy: 'IfNotPresent',
    command: ['sh', '-c', 'echo hello'],
    env: [],
    resources: { cpu: '500m', memory: '256Mi' },
    sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
    completions: 1,
    parallelism: 1,
    backoffLimit: 3,
    priority: 0,
    suspend: false,
    ...overrides,
  };
}

export interface InputOptions {
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec?: unknown;
  status?: unknown;
  resourceVersion?: string;
  ownerReferences?: ResourceInput['metadata']['ownerReferences'];
}

export function input(kind: string, name: string, o: InputOptions = {}): ResourceInput {
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: {
      name,
      namespace: o.namespace,
      labels: o.labels,
      annotations: o.annotations,
      resourceVersion: o.resourceVersion,
      ownerReferences: o.ownerReferences,
    },
    spec: o.spec ?? (kind === 'Job' ? jobSpec() : {}),
    status: o.status,
  };
}

export function jobInput(name: string, o: InputOptions = {}): ResourceInput {
  return input('Job', name, o);
}

/** Drives a store through encoded commands at increasing indexes, like the Raft shell. */
export class Harness {
  readonly store: ResourceStore;
  index = 0;
  private uidSeq = 0;
  /** Seconds past a fixed epoch; each write moves it by one. */
  private tick = 0;

  constructor(options: ResourceStoreOptions = {}) {
    this.store = new ResourceStore(options);
  }

  now(): string {
    return new Date(Date.UTC(2025, 0, 1) + this.tick++ * 1000).toISOString();
  }

  nextUid(): string {
    return `uid-${++this.uidSeq}`;
  }

  run(command: Command): CommandResult {
    this.index++;
    const result = this.store.apply(this.index, encodeCommand(command));
    assert.ok(result, 'a command returns a result');
    if (result.ok && result.outcome === 'group') assert.fail('a single command got a group result');
    return result;
  }

  create(object: ResourceInput, nameSuffix?: string): CommandResult {
    return this.run({ op: 'create', now: this.now(), uid: this.nextUid(), object, nameSuffix });
  }

  apply(object: ResourceInput, force = false): CommandResult {
    return this.run({ op: 'apply', now: this.now(), uid: this.nextUid(), object, force });
  }

  update(object: ResourceInput): CommandResult {
    return this.run({ op: 'update', object });
  }

  updateStatus(object: ResourceInput, status: unknown): CommandResult {
    return this.run({ op: 'updateStatus', object: { ...object, status } });
  }

  delete(
    kind: string,
    namespace: string,
    name: string,
    preconditions?: { uid?: string; resourceVersion?: string },
  ): CommandResult {
    return this.run({ op: 'delete', now: this.now(), kind, namespace, name, preconditions });
  }
}

export function ok(result: CommandResult): ObjectResult {
  assert.equal(result.ok, true, `expected success, got ${JSON.stringify(result)}`);
  assert.notEqual((result as { outcome: string }).outcome, 'batch');
  return result as ObjectResult;
}

export function err(result: CommandResult): ErrorResult {
  assert.equal(result.ok, false, `expected failure, got ${JSON.stringify(result)}`);
  return result as ErrorResult;
}

/** Names of the items in a list result, as namespace/name. */
export function keys(
  items: readonly { metadata: { namespace: string; name: string } }[],
): string[] {
  return items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
}

/** A seeded stream of commands touching every op, including failing ones. */
export function seededCommands(seed: number, n: number): Command[] {
  const rng = new SeededRng(seed);
  const out: Command[] = [];
  const names = ['a', 'b', 'c', 'd', 'e', 'f'];
  const namespaces = ['default', 'prod'];
  for (let i = 0; i < n; i++) {
    const name = rng.pick(names);
    const namespace = rng.pick(namespaces);
    const now: string = `2025-01-01T00:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`;
    const labels = { team: rng.pick(['x', 'y']), [rng.pick(['p', 'q'])]: 'v' };
    const spec = jobSpec({
      parallelism: rng.int(1, 4),
      image: rng.chance(0.1) ? 'alpine' : 'busybox:latest',
    });
    switch (rng.int(0, 7)) {
      case 0:
        out.push({
          op: 'create',
          now,
          uid: `u${i}`,
          object: jobInput(name, { namespace, labels, spec }),
        });
        break;
      case 1:
        out.push({
          op: 'apply',
          now,
          uid: `u${i}`,
          force: rng.chance(0.5),
          object: jobInput(name, { namespace, labels, spec }),
        });
        break;
      case 2:
        out.push({ op: 'update', object: jobInput(name, { namespace, labels, spec }) });
        break;
      case 3:
        out.push({
          op: 'updateStatus',
          object: {
            ...jobInput(name, { namespace }),
            status: { phase: rng.pick(['Running', 'Failed']), active: rng.int(0, 3) },
          },
        });
        break;
      case 4:
        out.push({ op: 'delete', now, kind: 'Job', namespace, name });
        break;
      case 5:
        out.push({
          op: 'create',
          now,
          uid: `u${i}`,
          nameSuffix: `s${i}`,
          object: { ...input('Run', ''), metadata: { generateName: `${name}-`, namespace } },
        });
        break;
      default:
        out.push({
          op: 'batch',
          commands: [
            { op: 'apply', now, uid: `v${i}`, object: jobInput(name, { namespace, labels, spec }) },
            {
              op: 'updateStatus',
              object: { ...jobInput(name, { namespace }), status: { phase: 'Pending' } },
            },
          ],
        });
    }
  }
  return out;
}
