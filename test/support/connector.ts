/**
 * The tests' Teams connector: src/simulator/connector.ts (the same connector the local simulator
 * plays) served on a port of its own, so a test app's activities can name it as their `serviceUrl`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BotConnector, type ConnectorOptions } from '../../src/simulator/connector';

export { parseRoute, inConversation } from '../../src/simulator/connector';
export type { ConnectorRequest, RequestKind, SentActivity, RecordedUpdate, FailStatus, FailRule, TeamsMember, ConnectorOptions } from '../../src/simulator/connector';

export class ConnectorEmulator extends BotConnector {
  /** Base URL to use as the activities' `serviceUrl`, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string;

  private constructor(
    private readonly server: Server,
    opts: ConnectorOptions,
  ) {
    super(opts);
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/`;
  }

  static async start(opts: ConnectorOptions = {}): Promise<ConnectorEmulator> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const emulator = new ConnectorEmulator(server, opts);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      readBody(req)
        .then((rawBody) => {
          const answer = emulator.handle({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, rawBody });
          // Separate calls: restify patches ServerResponse.writeHead in any process that loads it, and its version does not return the response.
          res.writeHead(answer.status, answer.headers);
          res.end(answer.payload);
        })
        .catch((e: unknown) => {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'EmulatorError', message: String(e) } }));
        });
    });
    return emulator;
  }

  async close(): Promise<void> {
    this.closed();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function startConnector(opts?: ConnectorOptions): Promise<ConnectorEmulator> {
  return ConnectorEmulator.start(opts);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
