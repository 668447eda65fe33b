/** `npm start`: read the environment, open and migrate the database, serve, stop cleanly on SIGTERM/SIGINT. */
import { createServer } from "node:http";
import { createAuth } from "./app.js";
import { StartupError } from "./config.js";
import { releaseHeapWhenIdle } from "./heap-release.js";

async function main(): Promise<void> {
  const auth = await createAuth();
  const { config, deps } = auth;
  const server = createServer(auth.yoga);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      auth
        .close()
        .finally(() =>
          reject(
            error.code === "EADDRINUSE"
              ? new StartupError(`port ${config.port} is already in use: stop what listens there or set PORT`)
              : new StartupError(`cannot listen on port ${config.port}: ${error.message}`),
          ),
        );
    });
    server.listen(config.port, resolve);
  });
  deps.logger.info(
    { port: config.port, database: deps.db.kind, graphiql: !config.production },
    `auth server listening on ${config.publicUrl}/graphql (${deps.db.kind === "pglite" ? `PGlite in ${config.dataDir}` : "PostgreSQL"})`,
  );
  const heapRelease = releaseHeapWhenIdle();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Draining: /readyz answers 503 and subscriptions end; the load balancer has SHUTDOWN_DELAY to notice.
    auth.drain();
    heapRelease.stop();
    deps.logger.info({ signal, delaySeconds: config.shutdownDelaySeconds }, "shutting down: draining, then finishing in-flight requests");
    setTimeout(() => {
      server.close(async () => {
        await auth.close();
        deps.logger.info("stopped");
        process.exit(0);
      });
      server.closeIdleConnections();
      // Keep-alive clients that never go idle get cut after 10 s.
      setTimeout(() => server.closeAllConnections(), 10_000).unref();
    }, config.shutdownDelaySeconds * 1000);
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error: unknown) => {
  if (error instanceof StartupError) {
    console.error(error.message);
  } else {
    console.error(error);
  }
  process.exit(1);
});
