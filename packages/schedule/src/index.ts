export { buildSchedule } from "./build-schedule";
export type { ScheduleOptionChecks } from "./build-schedule";
export { MAX_CATCH_UP, MISSED_AFTER_MS, planFire } from "./plan-fire";
export type { FirePlan } from "./plan-fire";
export { toScheduleInfo } from "./schedule-record";
export type { ScheduleDefinition, ScheduleRecord } from "./schedule-record";
export { checkCron, nextFireAfter } from "./schedule-times";
export type { ScheduleTiming } from "./schedule-times";
