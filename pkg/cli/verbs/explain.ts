// `jobctl explain job[.spec.FIELD...] [--recursive]`: documentation read from
// the same JSON Schemas that validate manifests (pkg/api/validation).
import { ExitCode, UsageError } from '../errors.js';
import { defineVerb } from '../command.js';
import type { VerbDeps } from './deps.js';

export interface ExplainOptions {
  readonly path: string;
  readonly recursive?: boolean;
}

export const explainVerb = defineVerb({
  name: 'explain',
  describe: 'Documentation of a kind or field, e.g. job.spec.resources',
  positionals: [{ name: 'path', required: true }],
  flags: { recursive: { type: 'boolean', describe: 'show all nested fields' } },
  toOptions: (a): ExplainOptions => ({ path: a.path, recursive: a.recursive === true }),
  run: runExplain,
});

export async function runExplain(opts: ExplainOptions, deps: VerbDeps): Promise<number> {
  if (!opts.path) {
    throw new UsageError(
      'You must specify the type of resource to explain, e.g. jobctl explain job.spec',
    );
  }
  const { explain } = await import('../../api/validation/explain.js');
  try {
    deps.stdout.write(explain(opts.path, { recursive: opts.recursive === true }));
  } catch (err) {
    // A local lookup, not a server call: kubectl's "error: ..." form.
    deps.stderr.write(`error: ${(err as Error).message}\n`);
    return ExitCode.Failed;
  }
  return ExitCode.Ok;
}
