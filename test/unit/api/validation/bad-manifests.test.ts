// A table of bad manifests, each with the exact lines `jobctl apply` would print.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_COMMAND_BYTES, MAX_OBJECT_BYTES } from '../../../../pkg/api/validation/index.js';
import { cronJob, errorLines, job, withFields, type Obj } from './helpers.js';

const J = 'job.yaml: Job "hello": ';
const C = 'job.yaml: CronJob "nightly": ';
const NAME_RULE = "must be a lowercase DNS-1123 label (a-z, 0-9, '-', max 63 characters)";
const KINDS =
  'known kinds: ClusterRoleBinding, CronJob, Event, Job, Node, Queue, RoleBinding, Run, SandboxPolicy, Token';

const node = (): Obj => ({
  apiVersion: 'jobctl.dev/v1',
  kind: 'Node',
  metadata: { name: 'node-1' },
});
const run = (): Obj => ({
  apiVersion: 'jobctl.dev/v1',
  kind: 'Run',
  metadata: { name: 'hello-0' },
  spec: { jobName: 'hello', jobUid: 'u1', attempt: 0, image: 'busybox:latest' },
});

interface Case {
  readonly name: string;
  readonly obj: unknown;
  readonly lines: readonly string[];
}

const jobWith = (changes: Record<string, unknown>): Obj => withFields(job(), changes);
const cronWith = (changes: Record<string, unknown>): Obj => withFields(cronJob(), changes);

const cases: Case[] = [
  {
    name: 'completions 0',
    obj: jobWith({ 'spec.completions': 0 }),
    lines: [`${J}spec.completions: must be >= 1`],
  },
  {
    name: 'parallelism as a string',
    obj: jobWith({ 'spec.parallelism': '3' }),
    lines: [`${J}spec.parallelism: must be an integer (got string "3")`],
  },
  {
    name: 'unknown pull policy',
    obj: jobWith({ 'spec.imagePullPolicy': 'Sometimes' }),
    lines: [
      `${J}spec.imagePullPolicy: must be one of Always, IfNotPresent, Never (got "Sometimes")`,
    ],
  },
  {
    name: 'unknown spec field',
    obj: jobWith({ 'spec.foo': 1 }),
    lines: [`${J}spec.foo: unknown field "foo"`],
  },
  {
    name: 'unknown top-level field',
    obj: jobWith({ extra: true }),
    lines: [`${J}extra: unknown field "extra"`],
  },
  {
    name: 'unknown metadata field',
    obj: jobWith({ 'metadata.label': {} }),
    lines: [`${J}metadata.label: unknown field "label"`],
  },
  {
    name: 'name with capitals and underscore',
    obj: jobWith({ 'metadata.name': 'Hello_World' }),
    lines: [
      `job.yaml: Job "Hello_World": metadata.name: "Hello_World" is not a valid name: ${NAME_RULE}`,
    ],
  },
  {
    name: 'name of 64 characters',
    obj: jobWith({ 'metadata.name': 'a'.repeat(64) }),
    lines: [
      `job.yaml: Job "${'a'.repeat(64)}": metadata.name: "${'a'.repeat(64)}" is not a valid name: ${NAME_RULE}`,
    ],
  },
  {
    name: 'name ending in a dash',
    obj: jobWith({ 'metadata.name': 'hello-' }),
    lines: [`job.yaml: Job "hello-": metadata.name: "hello-" is not a valid name: ${NAME_RULE}`],
  },
  {
    name: 'bad namespace',
    obj: jobWith({ 'metadata.namespace': 'Prod' }),
    lines: [`${J}metadata.namespace: "Prod" is not a valid namespace: ${NAME_RULE}`],
  },
  {
    name: 'neither name nor generateName',
    obj: jobWith({ 'metadata.name': undefined, 'metadata.labels': { a: 'b' } }),
    lines: [
      'job.yaml: Job: metadata.name: required field is missing (or set metadata.generateName)',
    ],
  },
  {
    name: 'bad generateName',
    obj: jobWith({ 'metadata.name': undefined, 'metadata.generateName': 'Backup-' }),
    lines: [
      `job.yaml: Job: metadata.generateName: "Backup-" is not a valid generateName: must be lowercase letters, digits and '-', starting with a letter or digit, max 58 characters`,
    ],
  },
  {
    name: 'name as a number',
    obj: jobWith({ 'metadata.name': 42 }),
    lines: ['job.yaml: Job: metadata.name: must be a string (got number 42)'],
  },
  {
    name: 'label key with a space',
    obj: jobWith({ 'metadata.labels': { 'a b': 'x' } }),
    lines: [
      `${J}metadata.labels["a b"]: "a b" is not a valid key: must be NAME or PREFIX/NAME, where NAME is at most 63 characters of a-z, A-Z, 0-9, '-', '_', '.' starting and ending with a letter or digit, and PREFIX is a lowercase DNS subdomain of at most 253 characters`,
    ],
  },
  {
    name: 'label value of 64 characters',
    obj: jobWith({ 'metadata.labels': { team: 'x'.repeat(64) } }),
    lines: [
      `${J}metadata.labels.team: "${'x'.repeat(64)}" is not a valid label value: must be empty or at most 63 characters of a-z, A-Z, 0-9, '-', '_', '.' starting and ending with a letter or digit`,
    ],
  },
  {
    name: 'label value as a number',
    obj: jobWith({ 'metadata.labels': { tier: 1 } }),
    lines: [`${J}metadata.labels.tier: must be a string (got number 1)`],
  },
  {
    name: 'label prefix in capitals',
    obj: jobWith({ 'metadata.labels': { 'Example.com/app': 'x' } }),
    lines: [
      `${J}metadata.labels["Example.com/app"]: "Example.com/app" is not a valid key: must be NAME or PREFIX/NAME, where NAME is at most 63 characters of a-z, A-Z, 0-9, '-', '_', '.' starting and ending with a letter or digit, and PREFIX is a lowercase DNS subdomain of at most 253 characters`,
    ],
  },
  {
    name: 'annotation value not a string',
    obj: jobWith({ 'metadata.annotations': { note: true } }),
    lines: [`${J}metadata.annotations.note: must be a string (got boolean true)`],
  },
  {
    name: 'bad creationTimestamp',
    obj: jobWith({ 'metadata.creationTimestamp': 'yesterday' }),
    lines: [
      `${J}metadata.creationTimestamp: "yesterday" is not an RFC 3339 timestamp (e.g. 2024-01-02T15:04:05Z)`,
    ],
  },
  {
    name: 'owner reference without uid',
    obj: jobWith({
      'metadata.ownerReferences': [{ apiVersion: 'jobctl.dev/v1', kind: 'CronJob', name: 'c' }],
    }),
    lines: [`${J}metadata.ownerReferences[0].uid: required field is missing`],
  },
  {
    name: 'memory in words',
    obj: jobWith({ 'spec.resources': { memory: '12 gigs' } }),
    lines: [`${J}spec.resources.memory: "12 gigs" is not a valid quantity (examples: 256Mi, 1Gi)`],
  },
  {
    name: 'memory with milli suffix',
    obj: jobWith({ 'spec.resources': { memory: '128m' } }),
    lines: [
      `${J}spec.resources.memory: "128m" means 128 millibytes ("m" is milli); did you mean 128Mi or 128M?`,
    ],
  },
  {
    name: 'memory below the Docker minimum',
    obj: jobWith({ 'spec.resources': { memory: '1Mi' } }),
    lines: [
      `${J}spec.resources.memory: "1Mi" is below the minimum of 6Mi (Docker refuses smaller memory limits)`,
    ],
  },
  {
    name: 'cpu in words',
    obj: jobWith({ 'spec.resources': { cpu: 'lots' } }),
    lines: [`${J}spec.resources.cpu: "lots" is not a valid quantity (examples: 500m, 1, 0.5)`],
  },
  {
    name: 'cpu finer than a millicore',
    obj: jobWith({ 'spec.resources': { cpu: 0.0001 } }),
    lines: [
      `${J}spec.resources.cpu: "0.0001" is too precise: CPU is counted in whole millicores (1m = 0.001 CPU)`,
    ],
  },
  {
    name: 'cpu zero',
    obj: jobWith({ 'spec.resources': { cpu: '0' } }),
    lines: [`${J}spec.resources.cpu: "0" must be greater than 0`],
  },
  {
    name: 'cpu as a boolean',
    obj: jobWith({ 'spec.resources': { cpu: true } }),
    lines: [`${J}spec.resources.cpu: must be a string or a number (got boolean true)`],
  },
  {
    name: 'unknown resource',
    obj: jobWith({ 'spec.resources': { gpu: 1 } }),
    lines: [`${J}spec.resources.gpu: unknown field "gpu"`],
  },
  {
    name: 'negative backoffLimit',
    obj: jobWith({ 'spec.backoffLimit': -1 }),
    lines: [`${J}spec.backoffLimit: must be >= 0`],
  },
  {
    name: 'huge parallelism',
    obj: jobWith({ 'spec.parallelism': 20000 }),
    lines: [`${J}spec.parallelism: must be <= 10000`],
  },
  {
    name: 'zero deadline',
    obj: jobWith({ 'spec.activeDeadlineSeconds': 0 }),
    lines: [`${J}spec.activeDeadlineSeconds: must be >= 1`],
  },
  {
    name: 'ttl as words',
    obj: jobWith({ 'spec.ttlSecondsAfterFinished': 'soon' }),
    lines: [`${J}spec.ttlSecondsAfterFinished: must be an integer or null (got string "soon")`],
  },
  {
    name: 'fractional priority',
    obj: jobWith({ 'spec.priority': 1.5 }),
    lines: [`${J}spec.priority: must be an integer (got number 1.5)`],
  },
  {
    name: 'suspend as "yes"',
    obj: jobWith({ 'spec.suspend': 'yes' }),
    lines: [`${J}spec.suspend: must be a boolean (got string "yes")`],
  },
  {
    name: 'empty command list',
    obj: jobWith({ 'spec.command': [] }),
    lines: [`${J}spec.command: must not be empty`],
  },
  {
    name: 'empty command string',
    obj: jobWith({ 'spec.command': '' }),
    lines: [`${J}spec.command: must not be empty`],
  },
  {
    name: 'command as a number',
    obj: jobWith({ 'spec.command': 3 }),
    lines: [`${J}spec.command: must be a string or an array of strings (got number 3)`],
  },
  {
    name: 'command argument not a string',
    obj: jobWith({ 'spec.command': ['sleep', 5] }),
    lines: [`${J}spec.command[1]: must be a string (got number 5)`],
  },
  {
    name: 'command over 64 KiB',
    obj: jobWith({ 'spec.command': ['echo', 'x'.repeat(MAX_COMMAND_BYTES)] }),
    lines: [
      `${J}spec.command: command is 65540 bytes, over the limit of 65536 bytes (64 KiB); pass large inputs through a file or the image instead`,
    ],
  },
  {
    name: 'env as a string',
    obj: jobWith({ 'spec.env': 'A=1' }),
    lines: [`${J}spec.env: must be a map or an array (got string "A=1")`],
  },
  {
    name: 'env map with a bad name',
    obj: jobWith({ 'spec.env': { '1BAD': 'x' } }),
    lines: [
      `${J}spec.env["1BAD"]: "1BAD" is not a valid environment variable name: must be letters, digits, '_', '-' and '.', not starting with a digit`,
    ],
  },
  {
    name: 'env map with an object value',
    obj: jobWith({ 'spec.env': { A: { b: 1 } } }),
    lines: [`${J}spec.env.A: must be a string, a number or a boolean (got an object)`],
  },
  {
    name: 'env list entry without a name',
    obj: jobWith({ 'spec.env': [{ value: 'x' }] }),
    lines: [`${J}spec.env[0].name: required field is missing`],
  },
  {
    name: 'env list with a duplicate name',
    obj: jobWith({
      'spec.env': [
        { name: 'A', value: '1' },
        { name: 'A', value: '2' },
      ],
    }),
    lines: [`${J}spec.env[1].name: duplicate name "A" (also at spec.env[0])`],
  },
  {
    name: 'env list value not a string',
    obj: jobWith({ 'spec.env': [{ name: 'PORT', value: 8080 }] }),
    lines: [`${J}spec.env[0].value: must be a string (got number 8080)`],
  },
  {
    name: 'relative workingDir',
    obj: jobWith({ 'spec.workingDir': 'tmp' }),
    lines: [`${J}spec.workingDir: "tmp" is not an absolute path (must start with "/")`],
  },
  {
    name: 'image with capitals',
    obj: jobWith({ 'spec.image': 'Busybox' }),
    lines: [
      `${J}spec.image: "Busybox" is not a valid image reference (examples: busybox:latest, registry.example.com/team/app:1.2; repository names are lowercase)`,
    ],
  },
  {
    name: 'image with a space',
    obj: jobWith({ 'spec.image': 'busybox latest' }),
    lines: [
      `${J}spec.image: "busybox latest" is not a valid image reference (examples: busybox:latest, registry.example.com/team/app:1.2; repository names are lowercase)`,
    ],
  },
  {
    name: 'host network',
    obj: jobWith({ 'spec.sandbox': { network: 'host' } }),
    lines: [`${J}spec.sandbox.network: must be one of none, bridge (got "host")`],
  },
  {
    name: 'user by name',
    obj: jobWith({ 'spec.sandbox': { user: 'root' } }),
    lines: [
      `${J}spec.sandbox.user: "root" is not a valid user: must be a numeric UID or UID:GID (e.g. 65534:65534)`,
    ],
  },
  {
    name: 'readOnlyRootFilesystem as a string',
    obj: jobWith({ 'spec.sandbox': { readOnlyRootFilesystem: 'false' } }),
    lines: [`${J}spec.sandbox.readOnlyRootFilesystem: must be a boolean (got string "false")`],
  },
  {
    name: 'nodeSelector value not a string',
    obj: jobWith({ 'spec.nodeSelector': { ssd: true } }),
    lines: [`${J}spec.nodeSelector.ssd: must be a string (got boolean true)`],
  },
  {
    name: 'status with an unknown phase',
    obj: jobWith({ 'status.phase': 'Done' }),
    lines: [
      `${J}status.phase: must be one of Pending, Running, Succeeded, Failed, Suspended (got "Done")`,
    ],
  },
  {
    name: 'missing spec',
    obj: jobWith({ spec: undefined }),
    lines: [`${J}spec: required field is missing`],
  },
  {
    name: 'spec as a list',
    obj: jobWith({ spec: [] }),
    lines: [`${J}spec: must be an object (got an array)`],
  },
  {
    name: 'missing metadata',
    obj: jobWith({ metadata: undefined }),
    lines: ['job.yaml: Job: metadata: required field is missing'],
  },
  {
    name: 'missing kind',
    obj: jobWith({ kind: undefined }),
    lines: [`job.yaml: kind: required field is missing (${KINDS})`],
  },
  {
    name: 'unknown kind',
    obj: jobWith({ kind: 'Deployment' }),
    lines: [`job.yaml: Deployment "hello": kind: unknown kind "Deployment" (${KINDS})`],
  },
  {
    name: 'kind in lower case',
    obj: jobWith({ kind: 'job' }),
    lines: [`job.yaml: job "hello": kind: unknown kind "job" (${KINDS}); did you mean Job?`],
  },
  {
    name: 'Kubernetes apiVersion',
    obj: jobWith({ apiVersion: 'batch/v1' }),
    lines: [`${J}apiVersion: unknown apiVersion "batch/v1" (use jobctl.dev/v1)`],
  },
  {
    name: 'missing apiVersion',
    obj: jobWith({ apiVersion: undefined }),
    lines: [`${J}apiVersion: required field is missing (use jobctl.dev/v1)`],
  },
  {
    name: 'not an object',
    obj: ['a', 'b'],
    lines: [
      'job.yaml: a manifest must be an object with apiVersion, kind and metadata (got an array)',
    ],
  },
  {
    name: 'object over 256 KiB',
    obj: jobWith({ 'metadata.annotations': { blob: 'x'.repeat(MAX_OBJECT_BYTES) } }),
    lines: [`${J}object is 262302 bytes (as JSON), over the limit of 262144 bytes (256 KiB)`],
  },
  {
    name: 'cron minute out of range',
    obj: cronWith({ 'spec.schedule': '61 * * * *' }),
    lines: [`${C}spec.schedule: "61 * * * *": minute 61 out of range 0-59`],
  },
  {
    name: 'cron with six fields',
    obj: cronWith({ 'spec.schedule': '0 0 * * * *' }),
    lines: [
      `${C}spec.schedule: "0 0 * * * *": expected 5 fields (minute hour day-of-month month day-of-week), got 6`,
    ],
  },
  {
    name: 'cron that never fires',
    obj: cronWith({ 'spec.schedule': '0 0 30 feb *' }),
    lines: [
      `${C}spec.schedule: "0 0 30 feb *": never fires: none of the selected months has any of the selected days`,
    ],
  },
  {
    name: 'unknown time zone',
    obj: cronWith({ 'spec.timeZone': 'Mars/Olympus' }),
    lines: [
      `${C}spec.timeZone: "Mars/Olympus" is not a known IANA time zone (examples: UTC, Europe/Berlin, America/New_York)`,
    ],
  },
  {
    name: 'unknown concurrency policy',
    obj: cronWith({ 'spec.concurrencyPolicy': 'Queue' }),
    lines: [`${C}spec.concurrencyPolicy: must be one of Allow, Forbid, Replace (got "Queue")`],
  },
  {
    name: 'CronJob without jobTemplate',
    obj: cronWith({ 'spec.jobTemplate': undefined }),
    lines: [`${C}spec.jobTemplate: required field is missing`],
  },
  {
    name: 'CronJob template with a bad Job spec',
    obj: cronWith({
      'spec.jobTemplate.spec.completions': 0,
      'spec.jobTemplate.spec.env': { A: 1, B: null },
    }),
    lines: [
      `${C}spec.jobTemplate.spec.env.B: must be a string, a number or a boolean (got null)`,
      `${C}spec.jobTemplate.spec.completions: must be >= 1`,
    ],
  },
  {
    name: 'Node with unschedulable as a string',
    obj: withFields(node(), { 'spec.unschedulable': 'yes' }),
    lines: ['job.yaml: Node "node-1": spec.unschedulable: must be a boolean (got string "yes")'],
  },
  {
    name: 'Run with a negative attempt and bad node name',
    obj: withFields(run(), { 'spec.attempt': -1, 'spec.nodeName': 'Node_1' }),
    lines: [
      'job.yaml: Run "hello-0": spec.attempt: must be >= 0',
      `job.yaml: Run "hello-0": spec.nodeName: "Node_1" is not a valid name: ${NAME_RULE}`,
    ],
  },
];

describe('bad manifests', () => {
  it('has a table of at least 40 cases', () => {
    assert.ok(cases.length >= 40, `only ${cases.length} cases`);
  });
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(errorLines(c.obj), c.lines);
    });
  }

  it('reports every error of a manifest at once', () => {
    const obj = withFields(job(), {
      'metadata.name': 'Bad_Name',
      'spec.completions': 0,
      'spec.parallelism': '2',
      'spec.imagePullPolicy': 'Sometimes',
      'spec.resources': { memory: '12 gigs', cpu: '1' },
      'spec.colour': 'blue',
    });
    const prefix = 'job.yaml: Job "Bad_Name": ';
    assert.deepEqual(errorLines(obj).sort(), [
      `${prefix}metadata.name: "Bad_Name" is not a valid name: ${NAME_RULE}`,
      `${prefix}spec.colour: unknown field "colour"`,
      `${prefix}spec.completions: must be >= 1`,
      `${prefix}spec.imagePullPolicy: must be one of Always, IfNotPresent, Never (got "Sometimes")`,
      `${prefix}spec.parallelism: must be an integer (got string "2")`,
      `${prefix}spec.resources.memory: "12 gigs" is not a valid quantity (examples: 256Mi, 1Gi)`,
    ]);
  });

  it('reports wrong apiVersion together with the other errors', () => {
    const obj = withFields(job(), { apiVersion: 'v1', 'spec.completions': 0 });
    assert.deepEqual(errorLines(obj), [
      `${J}apiVersion: unknown apiVersion "v1" (use jobctl.dev/v1)`,
      `${J}spec.completions: must be >= 1`,
    ]);
  });

  it('gives a quantity the same verdict every time it is seen, a number and a string apart', () => {
    // quantityError remembers verdicts by value: the second sight must agree with the first.
    for (let pass = 0; pass < 2; pass++) {
      assert.deepEqual(errorLines(jobWith({ 'spec.resources': { memory: '1Mi' } })), [
        `${J}spec.resources.memory: "1Mi" is below the minimum of 6Mi (Docker refuses smaller memory limits)`,
      ]);
      assert.deepEqual(errorLines(jobWith({ 'spec.resources': { memory: 1000 } })), [
        `${J}spec.resources.memory: 1000 is below the minimum of 6Mi (Docker refuses smaller memory limits)`,
      ]);
      assert.deepEqual(errorLines(jobWith({ 'spec.resources': { memory: '1000' } })), [
        `${J}spec.resources.memory: "1000" is below the minimum of 6Mi (Docker refuses smaller memory limits)`,
      ]);
      assert.deepEqual(
        errorLines(jobWith({ 'spec.resources': { memory: '256Mi', cpu: '1' } })),
        [],
      );
    }
  });

  it('valid examples of every kind pass', () => {
    for (const obj of [job(), cronJob(), node(), run()]) assert.deepEqual(errorLines(obj), []);
  });
});
