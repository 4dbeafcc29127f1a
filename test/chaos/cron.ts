// A CronJob under chaos: created before the faults start (every minute, Allow, no
// starting deadline, history kept), and after healing the state the checker needs to
// say "one Job per slot, no slot lost": every Job of the CronJob with its slot and
// phase, and the CronJob's lastSlotTime once it has caught up with the clock.
import type { GrpcClient } from '../../pkg/transport/grpc-client.js';
import {
  API_VERSION,
  CRONJOB_SCHEDULED_AT_ANNOTATION,
  type CronJob,
  type Job,
} from '../../pkg/store/index.js';
import { errorMessage, isReason, Reason } from '../../pkg/util/errors.js';
import { eventually } from '../support/eventually.js';
import type { CronFinal } from './history.js';

/** Its own namespace: the linearizability keys and store diffs stay the workload's. */
export const CRON_NAMESPACE = 'chaos-cron';
export const CRON_NAME = 'tick';
const MIN = 60_000;

export async function createChaosCronJob(client: GrpcClient, image: string): Promise<void> {
  await eventually('the chaos CronJob created', async () => {
    try {
      await client.create({
        apiVersion: API_VERSION,
        kind: 'CronJob',
        metadata: { name: CRON_NAME, namespace: CRON_NAMESPACE },
        spec: {
          schedule: '* * * * *',
          successfulJobsHistoryLimit: 1000,
          failedJobsHistoryLimit: 1000,
          jobTemplate: { spec: { image, command: ['sh', '-c', 'sleep 1'] } },
        },
      });
      return true;
    } catch (err) {
      if (isReason(err, Reason.AlreadyExists)) return true;
      if (isReason(err, Reason.Unavailable) || isReason(err, Reason.Timeout)) return undefined;
      throw err;
    }
  });
}

/**
 * After healing: waits (bounded) until the CronJob has dealt with the latest slot
 * and its Jobs finished, then records them. What is still missing then is the
 * checker's to report.
 */
export async function gatherCron(client: GrpcClient, log: (l: string) => void): Promise<CronFinal> {
  const healedAt = Date.now();
  const dueSlot = Math.floor(healedAt / MIN) * MIN;
  const read = async (): Promise<{ cj: CronJob; jobs: Job[] }> => ({
    cj: await client.get('CronJob', CRON_NAMESPACE, CRON_NAME),
    jobs: [...(await client.list('Job', { namespace: CRON_NAMESPACE })).items],
  });
  await eventually(
    'the CronJob caught up and its Jobs finished',
    async () => {
      const { cj, jobs } = await read();
      const caughtUp = Date.parse(cj.status.lastSlotTime ?? '') >= dueSlot;
      const done = jobs.every((j) => j.status.phase === 'Succeeded' || j.status.phase === 'Failed');
      return caughtUp && done ? true : undefined;
    },
    60_000,
    500,
  ).catch((err: unknown) => log(errorMessage(err)));
  const { cj, jobs } = await read();
  return {
    name: cj.metadata.name,
    createdAt: cj.metadata.creationTimestamp,
    dueSlot: new Date(dueSlot).toISOString(),
    lastSlotTime: cj.status.lastSlotTime,
    jobs: jobs.map((j) => ({
      name: j.metadata.name,
      slot: j.metadata.annotations[CRONJOB_SCHEDULED_AT_ANNOTATION] ?? '',
      phase: j.status.phase ?? '',
    })),
  };
}
