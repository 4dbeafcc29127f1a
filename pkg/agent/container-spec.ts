// The one place a Run's container spec (the store's type) becomes the
// runtime's ContainerSpec: the runtime knows nothing of the store (DESIGN.md
// §1), so a field added to one side is carried over here or not at all.
import type { ContainerSpec } from '../runtime/index.js';
import type { ContainerSpec as RunContainer } from '../store/index.js';

export function runtimeContainerSpec(c: RunContainer): ContainerSpec {
  return {
    image: c.image,
    imagePullPolicy: c.imagePullPolicy,
    command: c.command,
    env: c.env,
    ...(c.workingDir !== undefined ? { workingDir: c.workingDir } : {}),
    resources: c.resources,
    sandbox: c.sandbox,
  };
}
