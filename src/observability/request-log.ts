/**
 * One structured log line per request: its id (taken from `x-request-id` when
 * the caller, usually a proxy, sends a sane one, generated otherwise, and
 * echoed), method, path (never the query string: links carry tokens), GraphQL
 * operation name and the outcomes (`__typename`) of its mutations, status,
 * latency and client IP. Variables, headers and bodies are never logged.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { clientIp } from "../context.js";

interface RequestRecord {
  id: string;
  started: number;
  operation?: string;
  outcomes: string[];
}

const records = new WeakMap<Request, RequestRecord>();

/** Ids a proxy may pass on: short, and nothing that could forge log structure. */
const SANE_ID = /^[\w.:@/+=-]{1,128}$/;

/** Records a mutation's outcome for the request's log line. */
export function noteOutcome(request: Request, field: string, typename: string): void {
  records.get(request)?.outcomes.push(`${field}:${typename}`);
}

export function requestLogPlugin(config: Config, logger: Logger): Plugin {
  return {
    onRequest({ request }) {
      const given = request.headers.get("x-request-id");
      records.set(request, { id: given && SANE_ID.test(given) ? given : randomUUID(), started: performance.now(), outcomes: [] });
    },
    onExecute({ args }) {
      const record = records.get((args.contextValue as { request: Request }).request);
      if (!record || !logger.isLevelEnabled("info")) return;
      const operation = getOperationAST(args.document, args.operationName);
      record.operation = operation ? `${operation.operation} ${operation.name?.value ?? "(anonymous)"}` : undefined;
    },
    onResponse({ request, response, serverContext }) {
      const record = records.get(request);
      if (!record) return;
      try {
        response.headers.set("x-request-id", record.id);
      } catch {
        // Some responses (Response.redirect) have immutable headers.
      }
      // Below the logger's level (LOG_LEVEL=warn), the line is not even put together.
      if (!logger.isLevelEnabled("info")) return;
      const server = serverContext as { ip?: string; req?: IncomingMessage } | undefined;
      const peer = server?.ip ?? server?.req?.socket?.remoteAddress;
      logger.info(
        {
          reqId: record.id,
          method: request.method,
          path: new URL(request.url).pathname,
          ...(record.operation ? { operation: record.operation } : {}),
          ...(record.outcomes.length > 0 ? { outcome: record.outcomes.join(",") } : {}),
          status: response.status,
          ms: Math.round((performance.now() - record.started) * 10) / 10,
          ip: clientIp(request, peer, config),
        },
        "request",
      );
    },
  };
}
