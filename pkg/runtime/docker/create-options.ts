// A container spec → dockerode create options, with the sandbox of DESIGN.md §8 as the
// default: no network, read-only root with a writable size-limited /tmp tmpfs, all
// capabilities dropped, no-new-privileges, user 65534, memory (swap off) and CPU from
// resources, a pids limit, and an init process (docker-init/tini as PID 1, so SIGTERM
// reaches the command and zombies are reaped). Relaxations (network bridge, writable
// root, another user) come from spec.sandbox; whether a node allows them is decided
// before the runtime is called.
import type Docker from 'dockerode';
import { parseCpu, parseMemory } from '../../util/quantity.js';
import {
  DEFAULT_CPU,
  DEFAULT_MEMORY,
  DEFAULT_PIDS_LIMIT,
  DEFAULT_SANDBOX_USER,
  DEFAULT_TMPFS_SIZE,
} from '../../util/sandbox-defaults.js';
import type { RunContainerSpec } from '../types.js';

export interface SandboxOptions {
  /** Size of the /tmp tmpfs (counts against the memory limit). Default "64m". */
  readonly tmpfsSize: string;
  readonly pidsLimit: number;
  /** Run docker-init as PID 1. Default true. */
  readonly init: boolean;
  /** Bound of the daemon's own json-file log (the source we follow). Default "20m". */
  readonly daemonLogMaxSize: string;
}

export const DEFAULT_SANDBOX: SandboxOptions = {
  tmpfsSize: DEFAULT_TMPFS_SIZE,
  pidsLimit: DEFAULT_PIDS_LIMIT,
  init: true,
  daemonLogMaxSize: '20m',
};

export function createOptions(
  spec: RunContainerSpec,
  name: string,
  labels: Record<string, string>,
  sandbox: SandboxOptions,
): Docker.ContainerCreateOptions {
  const memory = parseMemory(spec.resources?.memory ?? DEFAULT_MEMORY);
  const millicores = parseCpu(spec.resources?.cpu ?? DEFAULT_CPU);
  return {
    name,
    Image: spec.image,
    // An empty command means the image's own CMD.
    ...(spec.command.length > 0 ? { Cmd: [...spec.command] } : {}),
    Env: (spec.env ?? []).map((e) => `${e.name}=${e.value}`),
    ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
    User: spec.sandbox?.user || DEFAULT_SANDBOX_USER,
    Labels: labels,
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    HostConfig: {
      NetworkMode: spec.sandbox?.network === 'bridge' ? 'bridge' : 'none',
      ReadonlyRootfs: spec.sandbox?.readOnlyRootFilesystem !== false,
      // Docker keeps its tmpfs defaults (noexec, nosuid, nodev) for what is not given.
      Tmpfs: { '/tmp': `rw,size=${sandbox.tmpfsSize},mode=1777` },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: sandbox.pidsLimit,
      Memory: memory,
      MemorySwap: memory, // no swap: over the limit is an OOM kill, as in Kubernetes
      NanoCpus: millicores * 1_000_000,
      Init: sandbox.init,
      AutoRemove: false, // a restarted agent must still find the exit code
      RestartPolicy: { Name: 'no' },
      LogConfig: {
        Type: 'json-file',
        Config: { 'max-size': sandbox.daemonLogMaxSize, 'max-file': '2' },
      },
    },
  };
}
