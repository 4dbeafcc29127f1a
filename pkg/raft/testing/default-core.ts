// The core under test by default: the real RawNode. Kept in its own module so
// the rest of the simulator depends only on the RaftCore interface and can
// drive any implementation (scenario tests may wrap it to inject bugs).
import { RawNode } from '../rawnode.js';
import type { CoreFactory } from './cluster.js';

export const rawNodeFactory: CoreFactory = (config) => new RawNode(config);
