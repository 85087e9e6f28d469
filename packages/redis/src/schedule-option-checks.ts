import type { ScheduleOptionChecks } from "@mq/schedule";
import { validateItem } from "./enqueue-args";

/** The enqueue options a Redis schedule may carry, checked by this backend's own enqueue rules. */
export const SCHEDULE_OPTION_CHECKS: ScheduleOptionChecks = {
  optionKeys: new Set([
    "key", "expectedVersion", "priority", "delayMs", "availableAt", "ttlMs", "expiresAt", "correlationId", "causationId", "headers", "maxAttempts", "backoff",
  ]),
  validateItem,
};
