// The agent with the real DockerRuntime: a bound Run of `echo hello` succeeds
// and its log file holds the output; after a crash-like restart a new agent
// (new runtime instance, as a new jobd process would have) adopts the running
// container, finishes its log, and the Run is created exactly once (counted
// through Docker's own events).
//
// Containers carry the scope label of this file's runtime; after() removes them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, runLogPath } from '../../pkg/agent/index.js';
import { newTestClient, type TestClient } from '../../pkg/client/testing.js';
import { DockerRuntime } from '../../pkg/runtime/docker/index.js';
import {
  API_VERSION,
  type Command,
  type CommandResult,
  type Proposer,
  type Run,
} from '../../pkg/store/index.js';
import { realClock } from '../../pkg/util/clock.js';
import { JobctlError, Reason } from '../../pkg/util/errors.js';
import { E2E_IMAGE, dockerGate, getDocker } from '../support/docker.js';
import { waitFor } from '../unit/runtime/contract.js';

const skip = await dockerGate();
const TIMEOUT = 120_000;
const NODE = 'e2e-node';
const SCOPE = `agent-e2e-${randomBytes(4).toString('hex')}`;

/** A proposer that can "die" (reject everything), as a kill -9'd node stops writing. */
class KillableProposer implements Proposer {
  dead = false;
  constructor(private readonly inner: Proposer) {}
  propose(command: Command): Promise<CommandResult> {
    if (this.dead) return Promise.reject(new JobctlError(Reason.Unavailable, 'node killed'));
    return this.inner.propose(command);
  }
}

describe('agent with DockerRuntime', { skip, timeout: TIMEOUT }, () => {
  let dataDir: string;
  let t: TestClient;
  const agents: Agent[] = [];
  const runtimes: DockerRuntime[] = [];
  const startedAt = Math.floor(Date.now() / 1000) - 1;

  function newAgent(proposer: Proposer): Agent {
    const runtime = new DockerRuntime({ docker: getDocker(), scope: SCOPE });
    runtimes.push(runtime);
    const agent = new Agent({
      nodeName: NODE,
      client: t.client,
      proposer,
      runtime,
      dataDir,
      clock: realClock,
      options: { statusFlushMs: 50, killGraceMs: 1000, sweepMs: 5000 },
    });
    agents.push(agent);
    return agent;
  }

  async function createRun(name: string, script: string): Promise<Run> {
    const run = await t.client.create({
      apiVersion: API_VERSION,
      kind: 'Run',
      metadata: { name, namespace: 'default' },
      spec: {
        jobName: name,
        jobUid: `${name}-job`,
        attempt: 0,
        nodeName: NODE,
        container: {
          image: E2E_IMAGE,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', script],
          env: [],
          resources: { cpu: '500m', memory: '64Mi' },
          sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
        },
      },
      status: { phase: 'Scheduled' },
    });
    return run as unknown as Run;
  }

  const status = (name: string): Run['status'] => t.store.get('Run', 'default', name)?.status ?? {};

  /** Containers Docker created for a Run uid since this file started. */
  async function creations(runUid: string): Promise<number> {
    const stream = (await getDocker().getEvents({
      since: startedAt,
      until: Math.ceil(Date.now() / 1000),
      filters: { type: ['container'], event: ['create'], label: [`jobctl.run.uid=${runUid}`] },
    })) as NodeJS.ReadableStream;
    let text = '';
    for await (const chunk of stream) text += String(chunk);
    return text.split('\n').filter((l) => l.trim() !== '').length;
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'jobctl-agent-e2e-'));
    t = newTestClient({ clock: realClock });
  });

  after(async () => {
    for (const a of agents) await a.stop();
    for (const r of runtimes) await r.close();
    const docker = getDocker();
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`jobctl.scope=${SCOPE}`] },
    });
    for (const c of left) {
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
    t?.client.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('runs `echo hello` to Succeeded; the log file has the output; the container is removed', async () => {
    const agent = newAgent(t.proposer);
    agent.start();
    const run = await createRun('hello', 'echo hello');
    await waitFor('Succeeded', () => status('hello').phase === 'Succeeded');
    const s = status('hello');
    assert.equal(s.exitCode, 0);
    assert.equal(s.reason, 'Completed');
    assert.ok(s.containerID && s.startedAt && s.finishedAt);
    assert.equal(await readFile(runLogPath(dataDir, run.metadata.uid), 'utf8'), 'hello\n');
    await waitFor('container removed', async () => {
      const list = await getDocker().listContainers({
        all: true,
        filters: { label: [`jobctl.run.uid=${run.metadata.uid}`] },
      });
      return list.length === 0;
    });
    assert.equal(await creations(run.metadata.uid), 1);
    await agent.stop();
  });

  it('after a crash-like restart, adopts the running container; the Run is created once', async () => {
    const dying = new KillableProposer(t.proposer);
    const first = newAgent(dying);
    first.start();
    const run = await createRun('adopt', 'echo start; sleep 3; echo done');
    await waitFor('Running', () => status('adopt').phase === 'Running');
    const containerID = status('adopt').containerID;

    // kill -9: the node writes nothing more and its runtime instance (log copy) dies.
    dying.dead = true;
    await first.stop();
    await runtimes[runtimes.length - 1]?.close();

    const second = newAgent(t.proposer);
    second.start();
    await waitFor('Succeeded', () => status('adopt').phase === 'Succeeded');
    const s = status('adopt');
    assert.equal(s.containerID, containerID);
    assert.equal(s.exitCode, 0);
    assert.equal(second.stats.starts, 0);
    assert.equal(await creations(run.metadata.uid), 1);
    const log = await readFile(runLogPath(dataDir, run.metadata.uid), 'utf8');
    assert.match(log, /start\n/);
    assert.match(log, /done\n/);
  });
});
