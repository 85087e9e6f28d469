// The record type and its public view are shared by every backend (@mq/schedule).
export { toScheduleInfo, type ScheduleRecord } from "@mq/schedule";

/** Prefix of timer ids that fire schedules (message ids never start with it). */
export const SCHEDULE_PREFIX = "\u0000sched:";
