// The committed generated code (pkg/transport/gen/) must be what proto/*.proto
// and proto/buf.gen.yaml produce: editing a .proto without `npm run gen:proto`
// fails here, not on the wire.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// dist/test/unit/transport -> the repository root.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

describe('generated protobuf code', () => {
  it('matches proto/ (npm run gen:proto leaves it unchanged)', () => {
    const res = spawnSync(process.execPath, [join(root, 'hack', 'gen-proto.mjs'), '--check'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(res.status, 0, `gen-proto --check failed:\n${res.stderr}${res.stdout}`);
  });
});
