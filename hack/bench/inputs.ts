// What the benches share about their inputs: numeric knobs read from the
// environment, and the Job spec they store or apply (every field set, as
// admission leaves a Job, so a bench that writes the store directly stores
// what a cluster would).
import type { JobSpec } from '../../pkg/store/index.js';

/** A numeric knob from the environment: unset or empty gives `dflt`. */
export function envNumber(name: string, dflt: number): number {
  const v = process.env[name];
  return v ? Number(v) : dflt;
}

/** A small Job's spec with every field set; `overrides` replace fields. */
export function benchJobSpec(overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    image: 'busybox:latest',
    imagePullPolicy: 'IfNotPresent',
    command: ['sh', '-c', 'true'],
    env: [],
    resources: { cpu: '100m', memory: '64Mi' },
    sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
    completions: 1,
    parallelism: 1,
    backoffLimit: 3,
    priority: 0,
    suspend: false,
    ...overrides,
  };
}
