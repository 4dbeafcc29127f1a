// Image handling by pull policy (DESIGN.md §8: "A missing image is pulled (progress in
// Run events); a failed pull fails the Run with reason ImagePullFailed and the
// registry's message").
//
//   IfNotPresent  pull only if the image is not in the local store (the default)
//   Always        always pull (fails if the registry is unreachable, as in Kubernetes)
//   Never         never pull; a missing image is ImagePullFailed at once
import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import type { Clock } from '../../util/clock.js';
import type { PullPolicy } from '../types.js';
import { ImagePullFailedError } from '../errors.js';
import { daemonMessage, isUnreachable, mapDockerError, statusCodeOf } from './errors.js';

/** Adds ":latest" to an untagged reference: the pull API would otherwise fetch every tag. */
export function withDefaultTag(image: string): string {
  if (image.includes('@')) return image;
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  return lastPart.includes(':') ? image : `${image}:latest`;
}

/** True if the image is in the daemon's local store. */
export async function imagePresent(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(withDefaultTag(image)).inspect();
    return true;
  } catch (err) {
    if (statusCodeOf(err) === 404) return false;
    throw mapDockerError(err);
  }
}

export interface EnsureImageOptions {
  readonly docker: Docker;
  readonly clock: Clock;
  readonly image: string;
  readonly policy: PullPolicy;
  /** Progress lines: "Pulling image ..." (throttled, with layer counts), then "Pulled ...". */
  readonly progress: (type: 'Pulling' | 'Pulled', message: string) => void;
  readonly pullTimeoutMs: number;
}

/** Makes sure the image is present according to the policy; rejects with ImagePullFailedError. */
export async function ensureImage(opts: EnsureImageOptions): Promise<void> {
  const { docker, image, policy } = opts;
  if (policy !== 'Always' && (await imagePresent(docker, image))) return;
  if (policy === 'Never') {
    throw new ImagePullFailedError(image, `image "${image}" not present and pull policy is Never`);
  }
  await pullImage(opts);
}

interface PullProgress {
  id?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

async function pullImage(opts: EnsureImageOptions): Promise<void> {
  const { docker, clock, image } = opts;
  const ref = withDefaultTag(image);
  const began = clock.monotonic();
  opts.progress('Pulling', `Pulling image "${image}"`);
  const fail = (text: string, cause?: unknown): ImagePullFailedError =>
    new ImagePullFailedError(image, `Failed to pull image "${image}": ${text}`, { cause });

  let stream: Readable;
  try {
    stream = (await docker.pull(ref)) as Readable;
  } catch (err) {
    if (isUnreachable(err)) throw mapDockerError(err);
    throw fail(daemonMessage(err), err);
  }

  // Layers seen and finished, for a throttled one-line progress report.
  const layers = new Map<string, string>();
  let lastReport = clock.monotonic();
  const timer = clock.setTimer(opts.pullTimeoutMs, () =>
    stream.destroy(new Error(`timed out after ${opts.pullTimeoutMs} ms`)),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (ev: PullProgress) => {
          if (ev.error) return; // reported through onFinished
          if (ev.id && ev.status) layers.set(ev.id, ev.status);
          if (clock.monotonic() - lastReport >= 1000 && layers.size > 0) {
            lastReport = clock.monotonic();
            const done = [...layers.values()].filter((s) =>
              /Pull complete|Already exists/.test(s),
            ).length;
            opts.progress('Pulling', `Pulling image "${image}": ${done}/${layers.size} layers`);
          }
        },
      );
    });
  } catch (err) {
    throw fail(err instanceof Error ? err.message : String(err), err);
  } finally {
    timer.cancel();
  }
  const secs = ((clock.monotonic() - began) / 1000).toFixed(1);
  opts.progress('Pulled', `Successfully pulled image "${image}" in ${secs}s`);
}
