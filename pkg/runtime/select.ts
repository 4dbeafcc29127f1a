// Builds the runtime named by jobd's --runtime flag (DESIGN.md §5).
//
// The docker runtime is loaded only when it is chosen: dockerode brings
// docker-modem and ssh2, whose poly1305 instantiates 16 MB of WebAssembly
// memory at load, which a node running the fake or process runtime would
// carry for nothing (docs/benchmarks.md, "What a node's memory is made of").
import { join } from 'node:path';
import type { Clock } from '../util/clock.js';
import { FakeRuntime } from './fake/runtime.js';
import { ProcessRuntime } from './process/runtime.js';
import type { Runtime } from './types.js';

export const RUNTIME_KINDS = ['docker', 'process', 'fake'] as const;
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];

export interface NewRuntimeOptions {
  /** The node's data dir (the process runtime keeps its state file there). */
  readonly dataDir: string;
  /** Separates nodes sharing one Docker engine; use the node name. */
  readonly scope?: string;
  readonly maxLogBytes?: number;
  readonly clock?: Clock;
}

export async function newRuntime(kind: RuntimeKind, opts: NewRuntimeOptions): Promise<Runtime> {
  switch (kind) {
    case 'docker': {
      const { DockerRuntime } = await import('./docker/index.js');
      return new DockerRuntime(opts);
    }
    case 'process':
      return new ProcessRuntime(opts);
    case 'fake':
      // Every start (and remove) is also appended to the data dir, so a test outside
      // the process (the chaos suite) can check that no Run was started twice, and a
      // restarted jobd finds the containers it ran, as it would on an engine.
      return new FakeRuntime({
        ...opts,
        startsLogPath: join(opts.dataDir, 'fake-starts.log'),
        removedLogPath: join(opts.dataDir, 'fake-removed.log'),
      });
  }
}
