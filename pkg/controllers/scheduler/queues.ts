// Queues as pure functions: which pending Runs a pass may place, given the
// Queues (kind Queue) their Jobs joined (spec.queue), and what every other
// queued Run is told while it waits.
//
// Everything here is decided from replicated state alone (the Queues, and the
// Runs with their phases, nodes, priorities and creation times), never from
// what a leader remembers, so a new leader after a failover admits the same
// Runs in the same order and tells them the same positions.
//
// - A queue's slots are taken by its Runs bound to a node and not finished
//   (also those this scheduler bound and the cache does not show yet).
// - Its unbound Runs wait in one order: higher Run priority first, then the
//   older Run, then namespace/name (compareRuns). The head takes free slots;
//   a Run held back only by maxRunningPerNamespace lets the Runs of other
//   namespaces behind it go first. The order is strict otherwise: an admitted
//   Run that fits no node keeps its slot (its message says why it fits
//   nowhere), and the Runs behind it wait, so a big Run is never starved by
//   small ones.
// - Admitted Runs go to placement ordered by their queue's priority (higher
//   first; Runs without a queue count as priority 0), then as they came.
// - A Run naming a Queue that does not exist (deleted after its Job was
//   admitted) waits, saying so, until the Queue is created again.
//
// Messages: `queue batch is full (5/5 running), position 3 of 12`. They are
// written only when they change, but positions change for every waiting Run
// each time the head moves; to bound those writes, only the first
// QUEUE_POSITIONS_SHOWN waiting Runs get an exact position, and the rest say
// `more than 50 Runs ahead`, which stays the same while they move up. The
// Queue's status (running, pending, and the same first waiting Runs in
// order) is one write per pass when it changed.
import { compareRuns } from './fit.js';
import type { Queue, QueueStatus, QueueWaiting, Run } from '../../store/index.js';

/** Waiting Runs that get an exact position (in their message and in the Queue's status). */
export const QUEUE_POSITIONS_SHOWN = 50;

export interface QueueGateInput {
  /** Unbound, uncancelled, unfinished Runs: what the pass would place, in any order. */
  readonly pending: readonly Run[];
  /** Every unfinished Run bound to a node (or assumed bound by this scheduler). */
  readonly bound: Iterable<Run>;
  readonly queues: Iterable<Queue>;
}

export interface WaitingRun {
  readonly run: Run;
  /** Its Run status message: why it waits and where it is in line. */
  readonly message: string;
}

export interface QueueGate {
  /** The pending Runs the pass may place, in placement order. */
  readonly admitted: Run[];
  /** Queued Runs held back, with what they are told. */
  readonly waiting: WaitingRun[];
  /** The status each existing Queue should have (by name). */
  readonly statuses: Map<string, QueueStatus>;
}

interface Line {
  readonly queue: Queue;
  /** Slots taken: bound Runs, then the Runs admitted in this pass. */
  used: number;
  readonly usedByNamespace: Map<string, number>;
  readonly waiting: { run: Run; reason: 'full' | 'namespace' }[];
}

const queueOf = (run: Run): string => run.spec.queue ?? '';

/** Which pending Runs may be placed now, and the messages and statuses of the queues. */
export function gateQueues(input: QueueGateInput): QueueGate {
  const lines = new Map<string, Line>();
  for (const queue of input.queues) {
    lines.set(queue.metadata.name, {
      queue,
      used: 0,
      usedByNamespace: new Map(),
      waiting: [],
    });
  }
  for (const run of input.bound) {
    const line = lines.get(queueOf(run));
    if (line) take(line, run);
  }

  const admittedSet = new Set<Run>();
  const missing: WaitingRun[] = [];
  const queued = new Map<Line, Run[]>();
  for (const run of input.pending) {
    const name = queueOf(run);
    if (!name) continue;
    const line = lines.get(name);
    if (!line) {
      missing.push({ run, message: `queue ${name} not found; waiting until it is created` });
      continue;
    }
    let members = queued.get(line);
    if (!members) queued.set(line, (members = []));
    members.push(run);
  }

  for (const [line, members] of queued) {
    members.sort(compareRuns);
    const { maxRunning, maxRunningPerNamespace: perNs } = line.queue.spec;
    for (const run of members) {
      if (line.used >= maxRunning) {
        line.waiting.push({ run, reason: 'full' });
      } else if (
        perNs !== undefined &&
        (line.usedByNamespace.get(run.metadata.namespace) ?? 0) >= perNs
      ) {
        line.waiting.push({ run, reason: 'namespace' });
      } else {
        take(line, run);
        admittedSet.add(run);
      }
    }
  }

  const priorityOf = (run: Run): number => lines.get(queueOf(run))?.queue.spec.priority ?? 0;
  const admitted = input.pending
    .filter((r) => !queueOf(r) || admittedSet.has(r))
    .map((run, i) => ({ run, i, p: priorityOf(run) }))
    .sort((a, b) => b.p - a.p || a.i - b.i)
    .map((x) => x.run);

  const waiting: WaitingRun[] = [...missing];
  const statuses = new Map<string, QueueStatus>();
  for (const [name, line] of lines) {
    const listed: QueueWaiting[] = [];
    for (const [i, w] of line.waiting.entries()) {
      const message = waitingMessage(line, w.run, w.reason, i + 1);
      waiting.push({ run: w.run, message });
      if (i < QUEUE_POSITIONS_SHOWN) {
        listed.push({
          namespace: w.run.metadata.namespace,
          name: w.run.metadata.name,
          jobName: w.run.spec.jobName,
          position: i + 1,
          reason: message,
        });
      }
    }
    statuses.set(name, {
      running: line.used,
      pending: line.waiting.length,
      ...(listed.length > 0 ? { waiting: listed } : {}),
    });
  }
  return { admitted, waiting, statuses };
}

function take(line: Line, run: Run): void {
  line.used++;
  const ns = run.metadata.namespace;
  line.usedByNamespace.set(ns, (line.usedByNamespace.get(ns) ?? 0) + 1);
}

function waitingMessage(
  line: Line,
  run: Run,
  reason: 'full' | 'namespace',
  position: number,
): string {
  const name = line.queue.metadata.name;
  const total = line.waiting.length;
  const where =
    position <= QUEUE_POSITIONS_SHOWN
      ? `position ${position} of ${total}`
      : `more than ${QUEUE_POSITIONS_SHOWN} Runs ahead`;
  if (reason === 'full') {
    return `queue ${name} is full (${line.used}/${line.queue.spec.maxRunning} running), ${where}`;
  }
  const ns = run.metadata.namespace;
  const inNs = line.usedByNamespace.get(ns) ?? 0;
  return (
    `queue ${name} allows ${line.queue.spec.maxRunningPerNamespace ?? 0} running per namespace ` +
    `(${inNs} running in ${ns}), ${where}`
  );
}
