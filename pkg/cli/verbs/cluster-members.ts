// `jobctl cluster add-member ID=HOST:PORT`, `promote ID`, `remove-member ID`:
// live membership, one change at a time, decided by the leader (any server
// forwards). The node to add must already run jobd at HOST:PORT (started
// with --join it adds itself instead). Each prints one line with the
// configuration after the change; a refusal is the server's one line.
import type { MembershipResult } from '../../client/index.js';
import { defineVerb } from '../command.js';
import { isHostPort } from '../contexts.js';
import { UsageError } from '../errors.js';
import { clientOf, type VerbDeps } from './deps.js';
import { needClusterAdmin } from './services.js';

export interface MemberOptions {
  readonly servers: readonly string[];
  readonly action: 'add' | 'promote' | 'remove';
  /** ID, or ID=HOST:PORT for add. */
  readonly member: string;
}

/** "voters 1, 2, 3; learners 4" */
export function formatMembers(r: MembershipResult): string {
  const ids = (learner: boolean): string =>
    r.members
      .filter((m) => m.learner === learner)
      .map((m) => m.id)
      .join(', ') || 'none';
  return `voters ${ids(false)}; learners ${ids(true)}`;
}

function parseId(text: string): number {
  const id = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(id) || id <= 0) {
    throw new UsageError(`expected a member id (a positive integer), got "${text}"`);
  }
  return id;
}

/** ID=HOST:PORT */
export function parseMember(text: string): { id: number; address: string } {
  const eq = text.indexOf('=');
  const address = text.slice(eq + 1);
  if (eq <= 0 || !isHostPort(address)) {
    throw new UsageError(`expected ID=HOST:PORT, got "${text}"`);
  }
  return { id: parseId(text.slice(0, eq)), address };
}

function validate(o: MemberOptions): void {
  if (o.action === 'add') parseMember(o.member);
  else parseId(o.member);
}

export async function runMember(o: MemberOptions, deps: VerbDeps): Promise<number> {
  const admin = needClusterAdmin(await clientOf(deps), 'membership change');
  let line: string;
  if (o.action === 'add') {
    const { id, address } = parseMember(o.member);
    const r = await admin.addMember(id, address);
    line = `node ${id} added as a learner at ${address} (${formatMembers(r)}); promote it with "jobctl cluster promote ${id}" once it has caught up`;
  } else if (o.action === 'promote') {
    const id = parseId(o.member);
    line = `node ${id} promoted to voter (${formatMembers(await admin.promoteMember(id))})`;
  } else {
    const id = parseId(o.member);
    line = `node ${id} removed (${formatMembers(await admin.removeMember(id))})`;
  }
  deps.stdout.write(`${line}\n`);
  return 0;
}

const memberVerb = (
  action: MemberOptions['action'],
  name: string,
  positional: string,
  describe: string,
) =>
  defineVerb({
    name,
    describe,
    positionals: [{ name: 'member', required: true, describe: positional }],
    toOptions: (a, conn): MemberOptions => ({ servers: conn.servers, action, member: a.member }),
    validate,
    run: runMember,
  });

export const memberVerbs = [
  memberVerb(
    'add',
    'add-member',
    'ID=HOST:PORT',
    'add a running jobd as a non-voting learner (promote it once caught up)',
  ),
  memberVerb('promote', 'promote', 'ID', 'make a caught-up learner a voter'),
  memberVerb(
    'remove',
    'remove-member',
    'ID',
    'remove a member (refused if the voters left could not form a quorum)',
  ),
];
