// How `describe` shows sandboxes: a Job's effective sandbox (what the docker
// runtime will enforce, DESIGN.md §8: its spec.sandbox plus the fixed parts,
// pids limit, dropped capabilities, no-new-privileges) and a SandboxPolicy's
// allowances. Pure: the verb fetches, this formats.
import type { ContainerSpec, Resource, SandboxPolicy } from '../../store/types.js';
import {
  DEFAULT_CPU,
  DEFAULT_MEMORY,
  DEFAULT_PIDS_LIMIT,
  DEFAULT_SANDBOX_USER,
  DEFAULT_TMPFS_SIZE,
} from '../../util/sandbox-defaults.js';

const NONE = '<none>';
/** Same value column as describe.ts. */
const KEY_WIDTH = 16;

const line = (key: string, value: string, indent = '  '): string => {
  const k = `${indent}${key}:`;
  return `${k.padEnd(Math.max(KEY_WIDTH, k.length + 1))}${value}`;
};

/** The "Sandbox:" block of `describe job` (docker runtime; the process runtime has none). */
export function sandboxLines(spec: Partial<ContainerSpec>): string[] {
  const sb = spec.sandbox;
  const readOnly = sb?.readOnlyRootFilesystem !== false;
  return [
    'Sandbox:',
    line('Network', sb?.network ?? 'none'),
    line('Root FS', `${readOnly ? 'read-only' : 'writable'}, /tmp tmpfs ${DEFAULT_TMPFS_SIZE}`),
    line('User', sb?.user || DEFAULT_SANDBOX_USER),
    line(
      'Limits',
      `cpu=${spec.resources?.cpu ?? DEFAULT_CPU}, memory=${spec.resources?.memory ?? DEFAULT_MEMORY} (no swap), pids=${DEFAULT_PIDS_LIMIT}`,
    ),
    line('Capabilities', 'all dropped, no-new-privileges'),
  ];
}

/** `describe sandboxpolicy`: metadata lines come from the caller. */
export function sandboxPolicyLines(o: Resource): string[] {
  const s = (o as SandboxPolicy).spec ?? {};
  const max = s.maxResources;
  const caps = [
    max?.cpu !== undefined ? `cpu=${max.cpu}` : '',
    max?.memory !== undefined ? `memory=${max.memory}` : '',
  ].filter(Boolean);
  return [
    'Allows:',
    line('Network', (s.allowNetwork ?? ['none']).join(', ')),
    line('Writable Root', String(s.allowWritableRootFilesystem ?? false)),
    line('Root User', String(s.allowRootUser ?? false)),
    line('Users', [DEFAULT_SANDBOX_USER, ...(s.allowUsers ?? [])].join(', ')),
    line('Max Resources', caps.length > 0 ? caps.join(', ') : 'no cap'),
    line('Images', s.allowImages ? s.allowImages.join(', ') || NONE : 'any'),
  ];
}
