// Test-only clock jumps (the chaos suite, docs/chaos.md). When jobd runs with
// JOBCTL_TEST_CLOCK_SKEW_FILE=PATH, each SIGUSR2 makes it read PATH
// ({"wallMs":N,"monoMs":M}) and offset what realClock returns by those amounts:
// the wall clock may jump either way, the monotonic clock only forward. Without
// the variable nothing is installed and SIGUSR2 keeps its default meaning.
import { readFileSync } from 'node:fs';
import { setRealClockSkew } from '../util/clock.js';
import { errorMessage } from '../util/errors.js';
import type { NodeLogger } from './logger.js';

export const CLOCK_SKEW_ENV = 'JOBCTL_TEST_CLOCK_SKEW_FILE';

export function installClockSkewHook(logger: NodeLogger, env = process.env): void {
  const path = env[CLOCK_SKEW_ENV];
  if (!path) return;
  process.on('SIGUSR2', () => {
    try {
      const { wallMs, monoMs } = JSON.parse(readFileSync(path, 'utf8')) as {
        wallMs?: number;
        monoMs?: number;
      };
      setRealClockSkew(Number(wallMs ?? 0), Number(monoMs ?? 0));
      logger.warn('test clock skew applied', { wallMs, monoMs });
    } catch (err) {
      logger.error('test clock skew: cannot read the skew file', {
        path,
        error: errorMessage(err),
      });
    }
  });
}
