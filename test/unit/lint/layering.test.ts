// The layering rules of .dependency-cruiser.mjs (run by `npm run lint`), each
// fed a forbidden import: every rule must fire on its fixture and stay quiet on
// the allowed imports beside it. The fixtures are written to a temporary
// directory, so the normal lint run never sees them.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';

// dist/test/unit/lint/ -> the repository root.
const root = fileURLToPath(new URL('../../../../', import.meta.url));

interface LayeringConfig {
  readonly forbidden: IForbiddenRuleType[];
}

/** One fixture: files (path -> source) and the rules that must fire, sorted. */
interface Case {
  readonly name: string;
  readonly files: Record<string, string>;
  readonly fires: readonly string[];
  /** How many violations, when it matters that each forbidden edge is caught. */
  readonly count?: number;
}

const cases: readonly Case[] = [
  {
    name: 'a file cycle',
    files: {
      'pkg/store/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'pkg/store/b.ts':
        "import type { a } from './a.js';\nexport const b = 1 as unknown as typeof a;\n",
    },
    fires: ['no-cycle'],
  },
  {
    name: 'a package cycle through different files',
    files: {
      'pkg/tls/pem.ts':
        "import { code } from '../transport/errors.js';\nexport const pem = code;\n",
      'pkg/transport/errors.ts': 'export const code = 1;\n',
      'pkg/transport/security.ts':
        "import { pem } from '../tls/pem.js';\nexport const sec = pem;\n",
    },
    fires: ['no-package-cycle'],
  },
  {
    name: 'raft importing anything but util',
    files: {
      'pkg/raft/raft.ts':
        "import { clock } from '../util/clock.js';\nimport type { Job } from '../store/index.js';\nexport type X = Job | typeof clock;\n",
      'pkg/util/clock.ts': 'export const clock = 1;\n',
      'pkg/store/index.ts': 'export interface Job { a: 1 }\n',
    },
    fires: ['raft-imports-only-util'],
  },
  {
    name: 'store running raft code or importing past raft and util',
    files: {
      'pkg/store/store.ts':
        "import type { StateMachine } from '../raft/index.js';\nimport { RawNode } from '../raft/index.js';\nimport type { ResourceClient } from '../client/index.js';\nexport type S = StateMachine | ResourceClient | typeof RawNode;\n",
      'pkg/raft/index.ts': 'export interface StateMachine { a: 1 }\nexport const RawNode = 1;\n',
      'pkg/client/index.ts': 'export interface ResourceClient { a: 1 }\n',
    },
    fires: ['store-imports-only-raft-types-and-util', 'store-takes-only-types-from-raft'],
  },
  {
    name: 'runtime importing store types',
    files: {
      'pkg/runtime/types.ts':
        "import type { ContainerSpec } from '../store/index.js';\nexport type Spec = ContainerSpec;\n",
      'pkg/store/index.ts': 'export interface ContainerSpec { a: 1 }\n',
    },
    fires: ['runtime-imports-only-util'],
  },
  {
    name: 'controllers importing the runtime',
    files: {
      'pkg/controllers/job/plan.ts':
        "import { MANAGED_LABEL } from '../../runtime/index.js';\nexport const label = MANAGED_LABEL;\n",
      'pkg/runtime/index.ts': "export const MANAGED_LABEL = 'x';\n",
    },
    fires: ['controllers-never-runtime-agent-node'],
  },
  {
    name: 'the agent importing controllers',
    files: {
      'pkg/agent/agent.ts':
        "import { jobController } from '../controllers/index.js';\nexport const c = jobController;\n",
      'pkg/controllers/index.ts': 'export const jobController = 1;\n',
    },
    fires: ['agent-never-controllers-node'],
  },
  {
    name: 'the CLI importing node internals',
    files: {
      'pkg/cli/verbs/top.ts':
        "import { fit } from '../../controllers/index.js';\nimport { start } from '../../node/local-cluster.js';\nimport { validate } from '../../api/validation/index.js';\nexport const x = [fit, start, validate];\n",
      'pkg/controllers/index.ts': 'export const fit = 1;\n',
      'pkg/node/local-cluster.ts': 'export const start = 1;\n',
      'pkg/api/validation/index.ts': 'export const validate = 1;\n',
    },
    fires: ['cli-never-node-internals', 'only-dev-up-starts-a-cluster'],
  },
  {
    name: '`dev up` reaching past the local cluster',
    files: {
      'pkg/cli/verbs/dev-up.ts':
        "import { start } from '../../node/local-cluster.js';\nimport { startNode } from '../../node/node.js';\nexport const x = [start, startNode];\n",
      'pkg/node/local-cluster.ts': 'export const start = 1;\n',
      'pkg/node/node.ts': 'export const startNode = 1;\n',
    },
    fires: ['dev-up-uses-only-the-local-cluster'],
  },
  {
    name: 'a deep import past an index.ts',
    files: {
      'pkg/agent/agent.ts':
        "import { Store } from '../store/store.js';\nimport { API_VERSION } from '../store/types.js';\nimport { validate } from '../api/validation/index.js';\nimport { kinds } from '../store/index.js';\nimport { local } from './local.js';\nexport const x = [Store, API_VERSION, validate, kinds, local];\n",
      'pkg/agent/local.ts': 'export const local = 1;\n',
      'pkg/store/store.ts': 'export const Store = 1;\n',
      'pkg/store/types.ts': "export const API_VERSION = 'v1';\n",
      'pkg/store/index.ts': 'export const kinds = 1;\n',
      'pkg/api/validation/index.ts': 'export const validate = 1;\n',
    },
    // store.ts, and types.ts: a light entry is for the code the CLI loads only.
    fires: ['import-a-package-through-its-index'],
    count: 2,
  },
  {
    name: 'a deep import from the CLI past its light entries',
    files: {
      'pkg/cli/verbs/get.ts':
        "import { Store } from '../../store/store.js';\nimport { API_VERSION } from '../../store/types.js';\nexport const x = [Store, API_VERSION];\n",
      'pkg/api/validation/schemas.ts': "export { API_VERSION } from '../../store/types.js';\n",
      'pkg/store/store.ts': 'export const Store = 1;\n',
      'pkg/store/types.ts': "export const API_VERSION = 'v1';\n",
    },
    fires: ['cli-imports-a-package-through-its-index-or-a-light-entry'],
  },
  {
    name: 'a deep import from cmd/',
    files: {
      'cmd/jobd.ts':
        "import { Store } from '../pkg/store/store.js';\nimport { kinds } from '../pkg/store/index.js';\nexport const x = [Store, kinds];\n",
      'pkg/store/store.ts': 'export const Store = 1;\n',
      'pkg/store/index.ts': 'export const kinds = 1;\n',
    },
    fires: ['cmd-imports-a-package-through-its-index'],
  },
];

let config: LayeringConfig;
let scratch: string;

/** Writes one case's files under a fresh directory and cruises it with the real rules. */
async function violationsOf(c: Case): Promise<{ names: string[]; count: number }> {
  const dir = join(scratch, c.name.replace(/\W+/g, '-'));
  for (const [path, source] of Object.entries(c.files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), source);
  }
  const tops = [...new Set(Object.keys(c.files).map((p) => p.split('/')[0] as string))];
  const { output } = await cruise(tops, {
    ruleSet: { forbidden: config.forbidden },
    validate: true,
    tsPreCompilationDeps: true,
    baseDir: dir,
  });
  const result = output as ICruiseResult;
  const unresolved = result.modules.flatMap((m) =>
    m.dependencies.filter((d) => d.couldNotResolve).map((d) => `${m.source} -> ${d.module}`),
  );
  assert.deepEqual(unresolved, [], 'every fixture import resolves');
  const violations = result.summary.violations;
  return {
    names: [...new Set(violations.map((v) => v.rule.name))].sort(),
    count: violations.length,
  };
}

describe('layering rules (.dependency-cruiser.mjs)', () => {
  before(async () => {
    const url = new URL('.dependency-cruiser.mjs', `file://${root}`).href;
    config = ((await import(url)) as { default: LayeringConfig }).default;
    scratch = await mkdtemp(join(tmpdir(), 'jobctl-layering-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  const fired = new Set<string>();
  for (const c of cases) {
    it(`refuses ${c.name}`, async () => {
      const { names, count } = await violationsOf(c);
      assert.deepEqual(names, [...c.fires].sort());
      if (c.count !== undefined) assert.equal(count, c.count);
      for (const n of names) fired.add(n);
    });
  }

  it('has a fixture for every rule', () => {
    const rules = config.forbidden.map((r) => r.name).sort();
    assert.deepEqual([...fired].sort(), rules);
  });
});
