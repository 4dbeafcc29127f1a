// A node:test reporter that prints, after the whole run, one block per failed test:
// its file, its full name (suite > test) and the first lines of its error.
// CI keeps only the tail of a long log; without this, the name of a failed test is
// hundreds of lines above the summary and is lost. Used by hack/run-tests.mjs next to
// the TAP reporter.
const ERROR_LINES = 12;

export default async function* failuresReporter(source) {
  const failures = [];
  // Per file, the names of the tests open at each nesting level, to print "suite > test".
  // Files run concurrently, so their events may interleave.
  const openByFile = new Map();
  const open = (file) => {
    if (!openByFile.has(file)) openByFile.set(file, []);
    return openByFile.get(file);
  };
  for await (const event of source) {
    if (event.type === 'test:start') {
      const names = open(event.data.file);
      names[event.data.nesting] = event.data.name;
      names.length = event.data.nesting + 1;
    } else if (event.type === 'test:fail') {
      const { data } = event;
      const openSuites = open(data.file);
      const error = data.details?.error;
      // A suite fails when a subtest did: the subtest's own block says why.
      if (error?.failureType === 'subtestsFailed') continue;
      const path = [...openSuites.slice(0, data.nesting), data.name].join(' > ');
      failures.push({ file: data.file ?? '(unknown file)', path, error });
    }
  }
  if (failures.length === 0) return;
  yield `\n==== ${failures.length} failed test(s) ====\n`;
  for (const { file, path, error } of failures) {
    yield `FAILED ${file}\n  ${path}\n`;
    for (const line of describe(error).split('\n').slice(0, ERROR_LINES)) yield `    ${line}\n`;
  }
}

function describe(error) {
  if (!error) return '(no error recorded)';
  const cause = error.cause ?? error;
  const text = cause.stack ?? cause.message ?? String(cause);
  return `${error.failureType ? `[${error.failureType}] ` : ''}${text}`;
}
