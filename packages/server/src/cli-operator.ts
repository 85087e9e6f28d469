import { parseArgs } from "node:util";

/** Usage lines of the operator commands, for `mq --help`. */
export const OPERATOR_HELP = `  mq stats [QUEUE]                         one queue, or all (admin)
  mq send QUEUE PAYLOAD_JSON [--key K] [--priority N] [--delay MS] [--ttl MS]
  mq receive QUEUE [--max N] [--visibility MS] [--wait MS] [--ack]
  mq dlq list [--queue Q] [--limit N]
  mq dlq replay (ID | --queue Q)
  mq dlq purge [--queue Q] --yes
  mq message QUEUE ID                       where a message is: state, attempts, progress, result
  mq cancel QUEUE ID                        remove a ready or delayed message
  mq result ID [--wait MS]                  a kept completion (queues with keepCompleted)
  mq schedules [list]                       schedules of the queues you administer
  mq schedules set NAME SPEC_JSON           e.g. '{"cron":"0 * * * *","queue":"q","payload":{}}'
  mq schedules delete NAME

Operator flags: --url URL [MQ_URL, default http://127.0.0.1:7070]  --token T [MQ_TOKEN]
Output is JSON on stdout; errors go to stderr with exit code 1.
`;

/** Runs one operator command against a running server; resolves with the exit code. */
export async function operatorCommand(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: "string" },
      token: { type: "string" },
      key: { type: "string" },
      priority: { type: "string" },
      delay: { type: "string" },
      ttl: { type: "string" },
      max: { type: "string" },
      visibility: { type: "string" },
      wait: { type: "string" },
      ack: { type: "boolean" },
      queue: { type: "string" },
      limit: { type: "string" },
      yes: { type: "boolean" },
    },
  });
  const url = (values.url ?? env.MQ_URL ?? "http://127.0.0.1:7070").replace(/\/+$/, "");
  const token = values.token ?? env.MQ_TOKEN;
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(url + path, {
      method,
      headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const parsed: unknown = text === "" ? undefined : JSON.parse(text);
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${(parsed as { error?: { message?: string } } | undefined)?.error?.message ?? text}`);
    return parsed;
  };
  const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
  const q = (s: string | undefined, what = "QUEUE"): string => {
    if (s === undefined) throw new Error(`${command}: ${what} is required (mq --help)`);
    return encodeURIComponent(s);
  };
  let out: unknown;
  switch (command) {
    case "stats":
      out = await call("GET", positionals[0] === undefined ? "/v1/stats" : `/v1/queues/${q(positionals[0])}/stats`);
      break;
    case "send": {
      const payloadText = positionals[1] ?? "null";
      out = await call("POST", `/v1/queues/${q(positionals[0])}/messages`, {
        payload: JSON.parse(payloadText) as unknown,
        ...(values.key === undefined ? {} : { key: values.key }),
        ...(values.priority === undefined ? {} : { priority: num(values.priority) }),
        ...(values.delay === undefined ? {} : { delayMs: num(values.delay) }),
        ...(values.ttl === undefined ? {} : { ttlMs: num(values.ttl) }),
      });
      break;
    }
    case "receive": {
      const got = (await call("POST", `/v1/queues/${q(positionals[0])}/receive`, {
        max: num(values.max) ?? 1,
        ...(values.visibility === undefined ? {} : { visibilityTimeoutMs: num(values.visibility) }),
        ...(values.wait === undefined ? {} : { waitMs: num(values.wait) }),
      })) as { messages: { receipt: string }[] };
      if (values.ack === true && got.messages.length > 0) await call("POST", "/v1/ack", { receipts: got.messages.map((m) => m.receipt) });
      out = got;
      break;
    }
    case "dlq": {
      const [sub, id] = positionals;
      if (sub === "list") out = await call("GET", `/v1/dead-letters?${new URLSearchParams({ ...(values.queue === undefined ? {} : { queue: values.queue }), ...(values.limit === undefined ? {} : { limit: values.limit }) }).toString()}`);
      else if (sub === "replay") {
        if (id === undefined && values.queue === undefined) throw new Error("dlq replay: give a message ID or --queue Q");
        out = await call("POST", "/v1/dead-letters/replay", id === undefined ? { queue: values.queue } : { id });
      } else if (sub === "purge") {
        if (values.yes !== true) throw new Error("dlq purge deletes dead letters for good; add --yes");
        out = await call("POST", "/v1/dead-letters/purge?confirm=true", values.queue === undefined ? {} : { queue: values.queue });
      } else throw new Error("dlq: use list, replay or purge (mq --help)");
      break;
    }
    case "message":
      out = await call("GET", `/v1/queues/${q(positionals[0])}/messages/${q(positionals[1], "ID")}`);
      break;
    case "cancel":
      await call("DELETE", `/v1/queues/${q(positionals[0])}/messages/${q(positionals[1], "ID")}`);
      out = { cancelled: positionals[1] };
      break;
    case "result":
      out = await call("GET", `/v1/results/${q(positionals[0], "ID")}${values.wait === undefined ? "" : `?waitMs=${encodeURIComponent(values.wait)}`}`);
      break;
    case "schedules": {
      const [sub = "list", name, spec] = positionals;
      if (sub === "list") out = await call("GET", "/v1/schedules");
      else if (sub === "set") out = await call("PUT", `/v1/schedules/${q(name, "NAME")}`, JSON.parse(spec ?? "null") as unknown);
      else if (sub === "delete") {
        await call("DELETE", `/v1/schedules/${q(name, "NAME")}`);
        out = { deleted: name };
      } else throw new Error("schedules: use list, set or delete (mq --help)");
      break;
    }
    default:
      throw new Error(`unknown command "${command}"; see mq --help`);
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return 0;
}
