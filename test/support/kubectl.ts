// The real kubectl binaries this kind of machine carries (the `kubectl`
// package ships 1.27 to 1.33 as kubectl.1.NN beside its default `kubectl`),
// for the suite that checks jobctl's REST API speaks Kubernetes.
//
//   const gate = await kubectlGate();          // { skip } locally, throws under CI
//   for (const k of gate.versions) ... await k.run(['get', 'jobs'], { kubeconfig })
//
// As with Docker (test/support/docker.ts): with CI=true a machine without the
// binaries FAILS the suite; locally it is skipped with the reason printed.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dockerRequired } from './docker.js';

/** Where the kubectl package puts its versioned binaries. */
const KUBECTL_DIRS = ['/usr/lib/google-cloud-sdk/bin', '/usr/local/bin', '/usr/bin'];

export interface KubectlBinary {
  /** "1.33" */
  readonly version: string;
  readonly path: string;
}

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Every kubectl.1.NN found, oldest first. */
export function kubectlBinaries(): KubectlBinary[] {
  const found = new Map<string, string>();
  for (const dir of KUBECTL_DIRS) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const m = /^kubectl\.(1\.\d+)$/.exec(name);
      if (m && !found.has(m[1] as string)) found.set(m[1] as string, join(dir, name));
    }
  }
  const minor = (v: string): number => Number(v.split('.')[1]);
  return [...found]
    .map(([version, path]) => ({ version, path }))
    .sort((a, b) => minor(a.version) - minor(b.version));
}

/** The oldest and the newest kubectl (one when only one is there). */
export function oldestAndNewest(): KubectlBinary[] {
  const all = kubectlBinaries();
  const picked = [all[0], all[all.length - 1]].filter((b): b is KubectlBinary => b !== undefined);
  return [...new Map(picked.map((b) => [b.version, b])).values()];
}

/** false when kubectl is here; locally a skip reason otherwise; under CI a thrown error. */
export function kubectlGate(): string | false {
  if (kubectlBinaries().length > 0) return false;
  const problem = `no kubectl.1.NN binary in ${KUBECTL_DIRS.join(', ')} (Debian/Ubuntu package "kubectl")`;
  if (dockerRequired()) throw new Error(`${problem}; the kubectl suite must run under CI`);
  console.error(`# ${problem}; skipping the kubectl tests`);
  return problem;
}

/** Runs `kubectl ARGS` with its own cache dir and kubeconfig. Never rejects. */
export function runKubectl(
  bin: KubectlBinary,
  args: readonly string[],
  opts: { kubeconfig: string; cacheDir: string; timeoutMs?: number },
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    execFile(
      bin.path,
      ['--kubeconfig', opts.kubeconfig, '--cache-dir', opts.cacheDir, ...args],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: opts.cacheDir },
        timeout: opts.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 124
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
