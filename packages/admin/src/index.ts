export { createAdminApi, MAX_PEEK } from "./admin-api";
export type { AdminApi, DeadLetterView, HandlerInfo } from "./admin-api";
export type { AdminHost, HandlerStats, HealthLike, LatencySummary, RateName } from "./admin-host";
export type { AdminMetrics, QueueMetrics } from "./queue-metrics";
export type { LimitsUpdate, QueueLimits } from "./limits";
export { renderPrometheus, PROMETHEUS_CONTENT_TYPE } from "./prometheus";
// Defined in @mq/core (the host throws it too); exported here as before.
export { NotSupportedError } from "@mq/core";
export { createAdminServer } from "./server/create-admin-server";
export type { AdminServer } from "./server/create-admin-server";
export type { AdminServerOptions, ResolvedAdminServerOptions } from "./server/server-options";
export type { ErrorBody } from "./server/error-handler";
