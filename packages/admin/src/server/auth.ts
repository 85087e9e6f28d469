import { timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

/** An onRequest hook that answers 401 unless `Authorization: Bearer <token>` matches (compared in constant time). */
export function requireToken(token: string): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const expected = Buffer.from(token);
  return async (request, reply) => {
    const header = request.headers.authorization;
    const given = typeof header === "string" && header.startsWith("Bearer ") ? Buffer.from(header.slice(7).trim()) : undefined;
    if (given !== undefined && given.length === expected.length && timingSafeEqual(given, expected)) return undefined;
    // Returning the reply tells Fastify the hook answered: the handler does not run.
    return reply
      .code(401)
      .header("www-authenticate", 'Bearer realm="mq-admin"')
      .send({ statusCode: 401, code: "MQ_UNAUTHORIZED", error: "Unauthorized", message: "[mq:admin] this route changes state: send Authorization: Bearer <token> (the token createAdminServer was given or printed)" });
  };
}
