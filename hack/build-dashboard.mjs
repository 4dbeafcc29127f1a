// Builds the dashboard (pkg/dashboard, DESIGN.md §6) into dist/pkg/dashboard,
// the directory jobd serves at `/`: the browser modules are compiled by tsc with
// their own tsconfig (DOM types, no Node types), then the static files (HTML,
// CSS, icons) are copied next to them. Part of `npm run build`.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'pkg', 'dashboard');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

execFileSync(process.execPath, [tsc, '-p', join(root, 'pkg', 'dashboard', 'tsconfig.json')], {
  stdio: 'inherit',
});
mkdirSync(out, { recursive: true });
cpSync(join(root, 'pkg', 'dashboard', 'static'), out, { recursive: true });
