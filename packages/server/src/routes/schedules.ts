import { AccessDeniedError, NotFoundError, type ScheduleInfo, type ScheduleSpec } from "@mq/core";
import type { FastifyInstance } from "fastify";
import { authorize, type Principal } from "../auth";
import { encodedSize } from "../codec";
import { principalOf, type ServerContext } from "../context";
import { tooLarge } from "../http-errors";
import { parse, parseSegment, SCHEDULE_NAME_PATTERN } from "../validation";

/**
 * Durable schedules (cron or every N ms). Managing them is an admin act on the
 * queue a schedule fires into; a token sees only the schedules of queues it administers.
 */
export function registerScheduleRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { host, schemas, options } = ctx;

  app.get("/v1/schedules", async (req) => {
    const p = principalOf(req);
    return { schedules: (await host.schedules()).filter((s) => p.can("admin", s.queue)) };
  });

  app.get<{ Params: { name: string } }>("/v1/schedules/:name", async (req) => {
    const name = parseSegment(req.params.name, SCHEDULE_NAME_PATTERN, "name");
    return visible(principalOf(req), name, await find(name));
  });

  app.put<{ Params: { name: string } }>("/v1/schedules/:name", async (req) => {
    const name = parseSegment(req.params.name, SCHEDULE_NAME_PATTERN, "name");
    const spec = parse(schemas.schedule, req.body);
    const p = principalOf(req);
    authorize(p, "admin", spec.queue);
    // Replacing someone else's schedule would move it to a queue of ours: refuse without naming theirs.
    const existing = await find(name);
    if (existing !== undefined && !p.can("admin", existing.queue)) throw new AccessDeniedError("forbidden", `schedule "${name}" exists and fires into a queue this token does not administer; pick another name`);
    if (req.bodyBytes > options.maxMessageBytes) {
      const size = encodedSize(spec.payload);
      if (size > options.maxMessageBytes) throw tooLarge("a schedule payload", size, options.maxMessageBytes);
    }
    return host.schedule(name, spec as ScheduleSpec);
  });

  app.delete<{ Params: { name: string } }>("/v1/schedules/:name", async (req, reply) => {
    const name = parseSegment(req.params.name, SCHEDULE_NAME_PATTERN, "name");
    visible(principalOf(req), name, await find(name));
    if (!(await host.unschedule(name))) throw notFound(name);
    reply.code(204);
  });

  async function find(name: string): Promise<ScheduleInfo | undefined> {
    return (await host.schedules()).find((s) => s.name === name);
  }
}

// Absent and not allowed answer alike (AZ2).
function visible(p: Principal, name: string, found: ScheduleInfo | undefined): ScheduleInfo {
  if (found === undefined || !p.can("admin", found.queue)) throw notFound(name);
  return found;
}

function notFound(name: string): NotFoundError {
  return new NotFoundError("schedule", name, "list them with GET /v1/schedules");
}
