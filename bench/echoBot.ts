/**
 * The baseline for `npm run bench`: the smallest botbuilder bot there is, behind the same restify +
 * jsonBodyParser + CloudAdapter stack as the real app, so the difference in the numbers is what
 * RJ Referrals does per turn (state, PostgreSQL, cards, extra connector calls) and nothing else.
 */
import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { createLogger } from '../src/log';
import { createServer } from '../src/server';

export class EchoBot extends ActivityHandler {
  constructor() {
    super();
    this.onMessage(async (ctx, next) => {
      await ctx.sendActivity(`echo: ${ctx.activity.text ?? ''}`);
      await next();
    });
  }
}

export interface EchoServer {
  url: string;
  close(): Promise<void>;
}

/** The app's default BODY_LIMIT_BYTES (src/config.ts), so both servers parse requests under the same rules. */
const BODY_LIMIT_BYTES = 512 * 1024;

export async function startEchoServer(host = '127.0.0.1', port = 0): Promise<EchoServer> {
  // No app id: the same unauthenticated mode the app runs in under the tests and this benchmark.
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  const bot = new EchoBot();
  const http = createServer({
    log: createLogger('silent'),
    bodyLimitBytes: BODY_LIMIT_BYTES,
    processMessage: (req, res) => adapter.process(req, res, (ctx) => bot.run(ctx)),
    readiness: {},
  });
  const bound = await http.listen(port, host);
  return { url: `http://${host}:${bound}`, close: () => http.close(2000) };
}
