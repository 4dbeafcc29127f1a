// Docker for end-to-end tests: one shared dockerode client (DOCKER_HOST, else
// /var/run/docker.sock) and a gate that decides, once per process, what a test does
// when the engine is not there.
//
//   const skip = await dockerGate();          // at the top of a test module
//   test('runs a container', { skip }, async () => { ... getDocker() ... });
//
// With CI=true (or JOBCTL_REQUIRE_DOCKER=1) an unreachable engine is a test FAILURE
// with a clear message: CI must never go green by skipping the Docker tests.
// Locally, the tests are skipped and the reason is printed. `hack/ci-setup.sh` installs
// and starts the engine and imports the images below.
import Docker from 'dockerode';

/** Local image built by hack/ci-setup.sh from Debian's busybox-static (DESIGN.md §8). */
export const E2E_IMAGE = 'jobctl/busybox:latest';

let shared: Docker | undefined;

/** The shared dockerode client. docker-modem reads DOCKER_HOST (unix://, tcp://, ssh://). */
export function getDocker(): Docker {
  shared ??= new Docker();
  return shared;
}

/** Where getDocker() connects, for messages. */
export function dockerEndpoint(): string {
  return process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

/** True when CI (or the developer) insists that Docker tests run rather than skip. */
export function dockerRequired(): boolean {
  const on = (v: string | undefined): boolean =>
    v !== undefined && v !== '' && v !== '0' && v !== 'false';
  return on(process.env.CI) || on(process.env.JOBCTL_REQUIRE_DOCKER);
}

/** Why the engine can't be used (unreachable, or the test image missing); undefined if it can. */
export async function dockerProblem(timeoutMs = 5000): Promise<string | undefined> {
  const docker = getDocker();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([docker.ping(), timeout]);
  } catch (err) {
    return `Docker engine not reachable at ${dockerEndpoint()}: ${errorText(err)}`;
  } finally {
    clearTimeout(timer);
  }
  try {
    await docker.getImage(E2E_IMAGE).inspect();
  } catch (err) {
    return `Docker is up but image ${E2E_IMAGE} is missing (${errorText(err)})`;
  }
  return undefined;
}

/** True when the engine answers and the test image exists. */
export async function dockerAvailable(timeoutMs = 5000): Promise<boolean> {
  return (await dockerProblem(timeoutMs)) === undefined;
}

export class DockerUnavailableError extends Error {
  constructor(problem: string) {
    super(
      `${problem}. Docker is required here (CI=true or JOBCTL_REQUIRE_DOCKER=1); ` +
        'run `bash hack/ci-setup.sh` (as root) to install and start it and import the images.',
    );
    this.name = 'DockerUnavailableError';
  }
}

let gate: Promise<string | false> | undefined;

/**
 * For `test(name, { skip }, fn)`: false when Docker is usable; locally a printed skip
 * reason when it is not; under CI a rejection with DockerUnavailableError, which fails
 * the module (and so the run) instead of skipping.
 */
export function dockerGate(): Promise<string | false> {
  gate ??= (async () => {
    const problem = await dockerProblem();
    if (problem === undefined) return false;
    if (dockerRequired()) throw new DockerUnavailableError(problem);
    const reason = `${problem}; skipping Docker tests (run hack/ci-setup.sh to enable them)`;
    console.error(`# ${reason}`);
    return reason;
  })();
  return gate;
}

/** Splits the multiplexed stdout/stderr stream of a non-TTY container's logs. */
export function demuxLogs(buf: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const kind = buf[i];
    const size = buf.readUInt32BE(i + 4);
    const chunk = buf.subarray(i + 8, i + 8 + size);
    (kind === 2 ? err : out).push(chunk);
    i += 8 + size;
  }
  return {
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
  };
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
  }
  return String(err);
}
