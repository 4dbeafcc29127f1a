// DockerRuntime's pure pieces, without an engine: create options (the sandbox), image
// references, the multiplexed-stream decoder, cursors, and error mapping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOptions, DEFAULT_SANDBOX } from '../../../pkg/runtime/docker/create-options.js';
import { mapDockerError, daemonMessage } from '../../../pkg/runtime/docker/errors.js';
import { FrameDecoder } from '../../../pkg/runtime/docker/frames.js';
import { withDefaultTag } from '../../../pkg/runtime/docker/image.js';
import { sinceParam } from '../../../pkg/runtime/docker/log-follower.js';
import { isRuntimeError, type RunContainerSpec } from '../../../pkg/runtime/index.js';

const base: RunContainerSpec = {
  image: 'busybox:latest',
  imagePullPolicy: 'IfNotPresent',
  command: ['sh', '-c', 'echo hi'],
  env: [{ name: 'A', value: '1' }],
  workingDir: '/work',
  resources: { cpu: '250m', memory: '128Mi' },
  sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
  runUid: 'u1',
  logPath: '/tmp/x.log',
};

describe('docker create options', () => {
  it('defaults to the DESIGN §8 sandbox', () => {
    const o = createOptions(base, 'jobctl-u1', { l: 'v' }, DEFAULT_SANDBOX);
    const hc = o.HostConfig ?? {};
    assert.equal(o.name, 'jobctl-u1');
    assert.deepEqual(o.Cmd, ['sh', '-c', 'echo hi']);
    assert.deepEqual(o.Env, ['A=1']);
    assert.equal(o.WorkingDir, '/work');
    assert.equal(o.User, '65534:65534');
    assert.deepEqual(o.Labels, { l: 'v' });
    assert.equal(hc.NetworkMode, 'none');
    assert.equal(hc.ReadonlyRootfs, true);
    assert.deepEqual(hc.Tmpfs, { '/tmp': 'rw,size=64m,mode=1777' });
    assert.deepEqual(hc.CapDrop, ['ALL']);
    assert.deepEqual(hc.SecurityOpt, ['no-new-privileges']);
    assert.equal(hc.PidsLimit, 256);
    assert.equal(hc.Memory, 128 * 1024 * 1024);
    assert.equal(hc.MemorySwap, 128 * 1024 * 1024);
    assert.equal(hc.NanoCpus, 250_000_000);
    assert.equal(hc.AutoRemove, false);
    assert.equal(hc.Init, true);
  });

  it('applies relaxations only when the spec asks', () => {
    const o = createOptions(
      {
        ...base,
        command: [],
        workingDir: undefined,
        sandbox: { network: 'bridge', readOnlyRootFilesystem: false, user: '' },
      },
      'n',
      {},
      DEFAULT_SANDBOX,
    );
    assert.equal(o.HostConfig?.NetworkMode, 'bridge');
    assert.equal(o.HostConfig?.ReadonlyRootfs, false);
    assert.equal(o.User, '65534:65534', 'an empty user falls back to 65534');
    assert.equal(o.Cmd, undefined, 'an empty command means the image CMD');
    assert.equal(o.WorkingDir, undefined);
  });
});

describe('image references', () => {
  it('adds :latest only to untagged references', () => {
    assert.equal(withDefaultTag('busybox'), 'busybox:latest');
    assert.equal(withDefaultTag('busybox:1.36'), 'busybox:1.36');
    assert.equal(withDefaultTag('localhost:5000/team/app'), 'localhost:5000/team/app:latest');
    assert.equal(withDefaultTag('localhost:5000/app:v1'), 'localhost:5000/app:v1');
    assert.equal(withDefaultTag('app@sha256:abc'), 'app@sha256:abc');
  });
});

describe('FrameDecoder', () => {
  const frame = (stream: number, text: string): Buffer => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };

  it('reassembles frames split across chunks and merged within them', () => {
    const all = Buffer.concat([frame(1, 'hello\n'), frame(2, 'oops\n'), frame(1, 'bye\n')]);
    const d = new FrameDecoder();
    const got: string[] = [];
    for (let i = 0; i < all.length; i += 3) {
      for (const f of d.push(all.subarray(i, i + 3))) got.push(`${f.stream}:${f.payload}`);
    }
    assert.deepEqual(got, ['1:hello\n', '2:oops\n', '1:bye\n']);
    assert.equal(d.buffered, 0);
  });
});

describe('log cursors', () => {
  it('turn a Docker timestamp into the API since parameter', () => {
    assert.equal(sinceParam('2024-01-02T03:04:05.123456789Z'), '1704164645.123456789');
    assert.equal(sinceParam('2024-01-02T03:04:05.000000000Z'), '1704164645.000000000');
    assert.equal(sinceParam('garbage'), undefined);
  });
});

describe('docker error mapping', () => {
  it('socket errors are RuntimeUnavailable', () => {
    const err = Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' });
    assert.ok(isRuntimeError(mapDockerError(err), 'RuntimeUnavailable'));
  });

  it('a 404 on a container call is ContainerNotFound; other answers pass through', () => {
    const e404 = Object.assign(
      new Error('(HTTP code 404) no such container - No such container: x '),
      {
        statusCode: 404,
        json: { message: 'No such container: x' },
      },
    );
    assert.ok(isRuntimeError(mapDockerError(e404, 'x'), 'ContainerNotFound'));
    assert.equal(mapDockerError(e404), e404);
    assert.equal(daemonMessage(e404), 'No such container: x');
    const e500 = Object.assign(new Error('(HTTP code 500) server error - boom '), {
      statusCode: 500,
    });
    assert.equal(daemonMessage(e500), 'boom');
  });
});
