import restify, { type Request, type Response } from 'restify';
import type { Logger } from './log';
import { bearerMatches, type Metrics } from './metrics';
import { registerTabRoutes, type TabDeps } from './tab/routes';

export interface ServerDeps {
  log: Logger;
  bodyLimitBytes: number;
  /** Hands one Bot Framework request to the adapter; absent in a WORKER_ONLY process (no /api/messages). */
  processMessage?: (req: Request, res: Response) => Promise<void>;
  /** /metrics, when metrics are on: Prometheus text for a scraper presenting `Authorization: Bearer <token>`. */
  metrics?: { metrics: Metrics; token: string };
  /** The coordinators' dashboard: the page at /tab and its API at /api/tab/* (absent in a WORKER_ONLY process). */
  tab?: TabDeps;
  /** Each named dependency must answer for the process to be ready. */
  readiness: Record<string, () => Promise<void>>;
  /**
   * The local simulator (src/simulator), only in local unauthenticated mode: it answers every path
   * under /simulator, its connector included. Absent, those paths are 404 like any unknown one.
   */
  simulator?: { handle(req: Request, res: Response): Promise<void> };
}

export interface HttpServer {
  server: restify.Server;
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting, lets requests in flight finish (up to graceMs), then closes. */
  close(graceMs: number): Promise<void>;
}

const READY_TIMEOUT_MS = 2000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function createServer(d: ServerDeps): HttpServer {
  const server = restify.createServer({ name: 'rj-referrals', handleUncaughtExceptions: false });
  let inFlight = 0;
  let closing = false;
  const idleWaiters: (() => void)[] = [];

  // Only JSON is read (no multipart or form parsing that could write files), up to the size limit.
  server.use(restify.plugins.bodyReader({ maxBodySize: d.bodyLimitBytes }));
  server.use(restify.plugins.jsonBodyParser({ mapParams: false }));

  server.on('restifyError', (req: Request, _res: Response, err: { statusCode?: number; name?: string }, cb: () => void) => {
    // Never the body: a malformed activity may still carry a message someone typed.
    d.log.warn({ method: req.method, path: req.path(), status: err.statusCode, error: err.name }, 'request rejected');
    cb();
  });

  const processMessage = d.processMessage;
  if (processMessage) server.post('/api/messages', async (req: Request, res: Response) => {
    if (closing) {
      res.header('Retry-After', '5');
      res.send(503, { error: 'shutting down' });
      return;
    }
    inFlight += 1;
    try {
      await processMessage(req, res);
    } catch (err) {
      d.log.error({ err: err instanceof Error ? err.message : String(err) }, 'unhandled error processing an activity');
      if (!res.headersSent) res.send(500, { error: 'internal error' });
    } finally {
      inFlight -= 1;
      if (inFlight === 0) idleWaiters.splice(0).forEach((w) => w());
    }
  });

  if (d.tab) registerTabRoutes(server, d.tab);
  const simulator = d.simulator;
  if (simulator) {
    const handle = async (req: Request, res: Response): Promise<void> => {
      await simulator.handle(req, res);
    };
    server.get('/simulator', handle);
    for (const route of ['/simulator/*'] as const) {
      server.get(route, handle);
      server.post(route, handle);
      server.put(route, handle);
      server.del(route, handle);
    }
  }

  server.get('/healthz', async (_req: Request, res: Response) => {
    res.send(200, { status: 'ok' });
  });

  const metrics = d.metrics;
  // Off (404, like any unknown path) unless METRICS_TOKEN is set; then only for that token.
  if (metrics) server.get('/metrics', async (req: Request, res: Response) => {
    if (!bearerMatches(req.header('authorization'), metrics.token)) {
      res.header('WWW-Authenticate', 'Bearer');
      res.send(401, { error: 'unauthorized' });
      return;
    }
    const scraped = await metrics.metrics.scrape();
    if (!scraped) {
      res.send(404, { error: 'metrics are off' });
      return;
    }
    res.writeHead(200, { 'Content-Type': scraped.contentType });
    res.end(scraped.body);
  });

  server.get('/readyz', async (_req: Request, res: Response) => {
    const checks: Record<string, string> = {};
    let ready = !closing;
    await Promise.all(
      Object.entries(d.readiness).map(async ([name, check]) => {
        try {
          await withTimeout(check(), READY_TIMEOUT_MS, name);
          checks[name] = 'ok';
        } catch (err) {
          ready = false;
          checks[name] = 'unavailable';
          d.log.warn({ dependency: name, err: err instanceof Error ? err.message : String(err) }, 'readiness check failed');
        }
      }),
    );
    res.send(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
  });

  return {
    server,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.removeListener('error', reject);
          const addr = server.address();
          resolve(addr.port);
        });
      }),
    close: async (graceMs) => {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.server.closeIdleConnections();
      if (inFlight > 0) {
        await withTimeout(new Promise<void>((r) => idleWaiters.push(r)), graceMs, 'in-flight requests').catch((err: Error) => {
          d.log.warn({ inFlight, err: err.message }, 'shutdown grace period over with requests still running');
        });
      }
      server.server.closeAllConnections();
      await closed;
    },
  };
}
