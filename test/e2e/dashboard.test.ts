// The dashboard end to end: a real 3-node jobd cluster (--runtime docker, every
// node with --http serving the built dashboard) and real headless Chromium
// (Debian's chromium driven by playwright-core). Every wait is on a condition in
// the page; screenshots go to test-artifacts/dashboard/ (gitignored).
//   - the cluster page, served by a follower: 3 nodes, exactly one marked leader
//   - a Job applied through the form shows up on another tab's jobs page and goes
//     Succeeded there without a reload (watch-driven)
//   - an invalid manifest: the error is listed at its field path and line
//   - the job page: its Run with node and exit code, and the container's output;
//     a running Job's output appears while it is still running (live tail)
//   - the login box appears on a 401, and the token then goes on every request
//   - a killed node is marked NotReady and unreachable on another node's page
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { E2ECluster } from '../support/cluster.js';
import { artifactsDir, chromiumGate, launchChromium } from '../support/chromium.js';
import { E2E_IMAGE, dockerGate } from '../support/docker.js';

// Functions passed to waitForFunction/evaluate run in the page (playwright sends
// their source); this file is compiled without the DOM library, so the page's
// globals they use are declared here (no code is emitted for these).
declare const document: {
  querySelector(s: string): { textContent: string | null } | null;
  querySelectorAll(s: string): { length: number };
};
declare const sessionStorage: { getItem(k: string): string | null };
declare const window: { marker?: number };

const skip = (await dockerGate()) || (await chromiumGate());
const WAIT = { timeout: 120_000 };

const jobManifest = (name: string, script: string, extra = ''): string => `apiVersion: jobctl.dev/v1
kind: Job
metadata:
  name: ${name}
  labels:
    suite: dashboard
spec:
  image: ${E2E_IMAGE}
  command: ["sh", "-c", ${JSON.stringify(script)}]
${extra}`;

describe(
  'dashboard in headless Chromium on a 3-node docker cluster',
  { skip, timeout: 900_000 },
  () => {
    let c: E2ECluster;
    let browser: Browser;
    const art = artifactsDir('dashboard');
    const url = (id: number, hash: string): string => `http://${c.member(id).http}/${hash}`;
    const shot = (page: Page, name: string): Promise<Buffer> =>
      page.screenshot({ path: join(art, `${name}.png`), fullPage: true });
    /**
     * Clicks Apply until the form answers with anything but a transient error
     * (Timeout, Unavailable, TooManyRequests: a loaded machine), as a user
     * would click again. Any other answer is left for the test to judge.
     */
    const applyThroughForm = async (form: Page): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        await form.click('#apply-submit');
        const answer = form.locator('#apply-ok, #apply-result .error');
        await answer.first().waitFor(WAIT);
        const error = await form.locator('#apply-result .error').count();
        if (!error || attempt === 5) return;
        const text = await form.locator('#apply-result .error').innerText();
        if (!/^(Timeout|Unavailable|TooManyRequests):/.test(text)) return;
      }
    };
    const newPage = async (width = 1280, height = 800): Promise<Page> => {
      const page = await browser.newPage({ viewport: { width, height } });
      page.on('pageerror', (err) => console.error(`# page error: ${err.message}`));
      return page;
    };

    before(async () => {
      c = await E2ECluster.start({
        runtime: 'docker',
        http: true,
        extraArgs: ['--backoff-base-ms', '100', '--node-grace-ms', '3000'],
      });
      browser = await launchChromium();
    });

    after(async () => {
      await browser?.close();
      await c?.stop();
    });

    it('shows 3 nodes and one leader, from a follower', async () => {
      const leader = await c.leader();
      const follower = c.members.find((m) => m.id !== leader)?.id ?? 1;
      const page = await newPage();
      await page.goto(url(follower, '#/cluster'));
      await page.waitForFunction(
        () =>
          document.querySelectorAll('#cluster-nodes tr').length === 3 &&
          document.querySelectorAll('#cluster-nodes tr.leader').length === 1 &&
          document.querySelectorAll('#cluster-nodes [data-status="True"]').length >= 3,
        undefined,
        WAIT,
      );
      const leaderRow = page.locator('#cluster-nodes tr.leader');
      assert.equal(await leaderRow.getAttribute('data-node-id'), String(leader));
      assert.match(await leaderRow.innerText(), /leader/);
      assert.match(
        await page.locator('#served-by').innerText(),
        new RegExp(c.member(follower).name),
      );
      await shot(page, 'cluster');
      await page.setViewportSize({ width: 390, height: 844 });
      await shot(page, 'cluster-narrow');
      await page.close();
    });

    it('applies a Job through the form; another tab sees it go Succeeded without reloading', async () => {
      const jobs = await newPage();
      await jobs.goto(url(1, '#/jobs'));
      await jobs.waitForSelector('#link[data-state="live"]', WAIT);
      await jobs.evaluate(() => (window.marker = 42));

      const form = await newPage();
      await form.goto(url(2, '#/apply'));
      await form.fill('#manifest', jobManifest('dash-hello', 'echo dashboard-says-hi; sleep 1'));
      await applyThroughForm(form);
      await form.waitForSelector('#apply-ok >> text=job/dash-hello', WAIT);
      assert.match(await form.locator('#apply-ok').innerText(), /dash-hello created/);

      await jobs.waitForSelector('#jobs-rows tr[data-name="dash-hello"]', WAIT);
      await jobs.waitForSelector(
        '#jobs-rows tr[data-name="dash-hello"][data-phase="Succeeded"]',
        WAIT,
      );
      const row = await jobs.locator('tr[data-name="dash-hello"]').innerText();
      assert.match(row, /Succeeded/);
      assert.match(row, /1 \/ 1/);
      assert.equal(await jobs.evaluate(() => window.marker), 42, 'the jobs page was reloaded');
      await shot(jobs, 'jobs');
      await jobs.close();
      await form.close();
    });

    it('shows a validation error at its field path', async () => {
      const form = await newPage();
      await form.goto(url(3, '#/apply'));
      await form.fill('#manifest', jobManifest('dash-bad', 'echo never', '  completions: 0\n'));
      await form.click('#apply-submit');
      const item = form.locator('#field-errors li[data-field="spec.completions"]');
      await item.waitFor(WAIT);
      const text = await item.innerText();
      assert.match(text, /spec\.completions/);
      assert.match(text, /must be >= 1/);
      assert.match(text, /line 10/, 'the error names the line of the field');
      assert.equal(await form.locator('#manifest').getAttribute('aria-invalid'), 'true');
      await shot(form, 'apply-invalid');
      const r = await c.cli(['get', 'job', 'dash-bad']);
      assert.notEqual(r.code, 0, 'the invalid job must not exist');
      await form.close();
    });

    it('opens the job and shows its run, node, exit code and output', async () => {
      const page = await newPage();
      await page.goto(url(2, '#/jobs'));
      await page.click('#jobs-rows tr[data-name="dash-hello"] a');
      await page.waitForSelector('#job-runs tr[data-phase="Succeeded"]', WAIT);
      await page.waitForFunction(
        () => document.querySelector('#job-log')?.textContent?.includes('dashboard-says-hi'),
        undefined,
        WAIT,
      );
      const run = await page.locator('#job-runs tr').first().innerText();
      assert.match(run, new RegExp(`${c.prefix}-\\d`), 'the run names its node');
      assert.match(run, /\b0\b/, 'exit code 0');
      assert.match(await page.locator('#job-yaml').innerText(), /name: dash-hello/);
      await page.waitForSelector('#job-events tr >> text=Scheduled', WAIT);
      await shot(page, 'job');
      await page.close();
    });

    it("tails a running Run's output while it runs", async () => {
      const page = await newPage();
      await page.goto(url(3, '#/jobs/default/dash-tail'));
      await c.cliOk(['apply', '-f', '-'], {
        input: jobManifest('dash-tail', 'echo first-line; sleep 20; echo second-line'),
      });
      await page.waitForFunction(
        () => document.querySelector('#job-log')?.textContent?.includes('first-line'),
        undefined,
        WAIT,
      );
      // The first line is on the page while the Run is still running.
      assert.equal(
        await page.locator('#job-runs tr').first().getAttribute('data-phase'),
        'Running',
      );
      await page.waitForFunction(
        () => document.querySelector('#job-log')?.textContent?.includes('second-line'),
        undefined,
        WAIT,
      );
      await page.close();
    });

    it('asks for a token on 401 and then sends it on every request', async () => {
      const page = await newPage();
      const seen: string[] = [];
      // Stands in for authentication (not enabled on this cluster): refuse API
      // calls without the token.
      await page.route(/\/(apis|api)\//, async (route) => {
        const auth = route.request().headers().authorization;
        seen.push(auth ?? '');
        if (auth === 'Bearer s3cret') await route.continue();
        else
          await route.fulfill({
            status: 401,
            contentType: 'application/json',
            body: JSON.stringify({
              kind: 'Status',
              code: 401,
              reason: 'Unauthorized',
              message: 'a bearer token is required',
            }),
          });
      });
      await page.goto(url(1, '#/jobs'));
      await page.waitForSelector('#login-form', WAIT);
      assert.match(await page.locator('#login-reason').innerText(), /bearer token is required/);
      await page.fill('#login-token', 's3cret');
      await page.click('#login-form button[type="submit"]');
      await page.waitForSelector('#jobs-rows tr[data-name="dash-hello"]', WAIT);
      await page.waitForSelector('#link[data-state="live"]', WAIT);
      assert.equal(await page.locator('#login-form').count(), 0);
      assert.equal(await page.evaluate(() => sessionStorage.getItem('jobctl.token')), 's3cret');
      assert.ok(seen.includes('Bearer s3cret'));
      await page.close();
    });

    it("marks a killed node not ready on another node's page", async () => {
      const leader = await c.leader();
      const viewer = leader;
      const victim = c.members.find((m) => m.id !== leader)?.id ?? 3;
      const name = c.member(victim).name;
      const page = await newPage();
      await page.goto(url(viewer, '#/cluster'));
      await page.waitForSelector(
        `#cluster-nodes tr[data-name="${name}"] [data-status="True"]`,
        WAIT,
      );
      await c.kill(victim);
      const row = `#cluster-nodes tr[data-name="${name}"]`;
      await page.waitForSelector(`${row} [data-status="False"]`, WAIT);
      await page.waitForSelector(`${row} >> text=unreachable`, WAIT);
      assert.match(await page.locator(row).innerText(), /NotReady/);
      await shot(page, 'cluster-node-down');
      await page.close();
    });
  },
);
