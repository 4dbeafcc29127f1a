// Headless Chromium for the dashboard's end-to-end tests: Debian's `chromium`
// driven by playwright-core (no browser download), and a gate that decides once
// per process what a test does when it is missing, like dockerGate.
//
//   const skip = await chromiumGate();            // at the top of a test module
//   test('shows the cluster', { skip }, async () => { const b = await launchChromium(); ... });
//
// With CI=true (or JOBCTL_REQUIRE_CHROMIUM=1) a missing or broken Chromium is a
// test FAILURE; locally the tests are skipped with the reason printed.
// `hack/ci-setup.sh` installs it. CHROMIUM_PATH overrides /usr/bin/chromium.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH || '/usr/bin/chromium';
}

/** dist/test/support/chromium.js -> <repo>/test-artifacts/<name> (gitignored). */
export function artifactsDir(name: string): string {
  const dir = join(
    dirname(fileURLToPath(import.meta.url)),
    '..',
    '..',
    '..',
    'test-artifacts',
    name,
  );
  mkdirSync(dir, { recursive: true });
  return dir;
}

function required(): boolean {
  const on = (v: string | undefined): boolean =>
    v !== undefined && v !== '' && v !== '0' && v !== 'false';
  return on(process.env.CI) || on(process.env.JOBCTL_REQUIRE_CHROMIUM);
}

/** Why Chromium can't be used, or undefined when `chromium --version` answers. */
export async function chromiumProblem(): Promise<string | undefined> {
  const path = chromiumPath();
  if (!existsSync(path)) return `Chromium not found at ${path}`;
  return new Promise((resolve) => {
    execFile(path, ['--version'], { timeout: 30_000 }, (err, stdout) => {
      resolve(
        err
          ? `${path} --version failed: ${err.message}`
          : stdout
            ? undefined
            : `${path} printed no version`,
      );
    });
  });
}

let gate: Promise<string | false> | undefined;

/** false when usable; locally a printed skip reason; under CI a rejection that fails the module. */
export function chromiumGate(): Promise<string | false> {
  gate ??= (async () => {
    const problem = await chromiumProblem();
    if (problem === undefined) return false;
    if (required()) {
      throw new Error(
        `${problem}. Chromium is required here (CI=true or JOBCTL_REQUIRE_CHROMIUM=1); ` +
          'run `bash hack/ci-setup.sh` (as root) to install it.',
      );
    }
    const reason = `${problem}; skipping the dashboard browser tests (run hack/ci-setup.sh to enable them)`;
    console.error(`# ${reason}`);
    return reason;
  })();
  return gate;
}

/** Headless Chromium; --no-sandbox because CI runs as root, where its sandbox refuses to start. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}
