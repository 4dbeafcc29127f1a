// `/`: the dashboard's static files when a directory is given, otherwise a
// small placeholder page pointing at the API. jobd passes builtDashboardDir():
// the front end of pkg/dashboard as `npm run build` leaves it in dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { API_PREFIX } from './resources-path.js';

export const PLACEHOLDER_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>jobctl</title></head>
<body>
<h1>jobctl</h1>
<p>The dashboard is not installed on this node.</p>
<ul>
<li><a href="${API_PREFIX}/namespaces/default/jobs">jobs in namespace default</a></li>
<li><a href="${API_PREFIX}/nodes">nodes</a></li>
<li><a href="/api/cluster/status">cluster status</a></li>
<li><a href="/healthz">healthz</a> · <a href="/readyz">readyz</a></li>
</ul>
</body>
</html>
`;

export function dashboardRoutes(dashboardDir: string | undefined): Router {
  const router = Router();
  if (dashboardDir) {
    // serve-static refuses paths that escape the directory and ignores dotfiles.
    router.use(express.static(dashboardDir, { index: 'index.html', fallthrough: true }));
  } else {
    router.get('/', (_req, res) => {
      res.type('text/html').send(PLACEHOLDER_HTML);
    });
  }
  return router;
}

/**
 * dist/pkg/dashboard (from dist/pkg/api/rest/dashboard.js), where the build
 * puts the dashboard; undefined when it was not built (a placeholder is served).
 */
export function builtDashboardDir(): string | undefined {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dashboard');
  return existsSync(join(dir, 'index.html')) ? dir : undefined;
}
