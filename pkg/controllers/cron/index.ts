export { CRON_CONTROLLER, cronController, type CronControllerOptions } from './controller.js';
export { JOBS_BY_CRONJOB, jobCronJobIndex, jobTime, newSlotJob, slotJobName } from './jobs.js';
export { cleanStatus, planCronJob, type CronPlan, type SlotToFire } from './plan.js';
export { CronReconciler, type CronReconcilerDeps } from './reconciler.js';
export { MAX_COUNTED_SLOTS, dueSlots, type DueSlots } from './slots.js';
