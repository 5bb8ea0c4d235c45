import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import type { Logger } from '../log';
import { botAuthenticationArgs, type BotAppCredentials, type BotFrameworkEndpoints } from './botAuthentication';

export type ProactiveAuthConfig = BotAppCredentials;

type ConnectorFactory = ReturnType<ConfigurationBotFrameworkAuthentication['createConnectorFactory']>;
type ClaimsIdentity = Parameters<ConfigurationBotFrameworkAuthentication['createConnectorFactory']>[0];
type ConnectorClient = Awaited<ReturnType<ConnectorFactory['create']>>;

/**
 * botbuilder's connector client (through @azure/core-rest-pipeline) retries 429 and 5xx up to 3 times on
 * its own, sleeping Retry-After or an exponential delay of its choosing, and 412 not at all. Under our
 * own policy that would multiply attempts (4 SDK tries per attempt of ours), hide real Retry-After waits
 * from the rate limiter, and let the SDK sleep real seconds that tests cannot control. So proactive
 * sends run on a connector client without the SDK's retry policy.
 *
 * There is no public switch: ConnectorFactoryImpl overwrites `requestPolicyFactories` (which would sit
 * outside the retry phase anyway), and ServiceClientContext passes neither `retryOptions` nor
 * `noRetryPolicy` to the core-client ServiceClient. The only public lever is a custom `httpClient`,
 * which would mean re-implementing the transport. Instead the freshly created client's pipeline has its
 * "Retry" phase removed. That reaches one private field (`client`), checked at run time: if a future
 * botbuilder changes it, sends still work (with the SDK's retries stacked under ours) and we log it.
 */
export function removeSdkRetry(connectorClient: unknown): boolean {
  const inner: unknown = typeof connectorClient === 'object' && connectorClient !== null ? Reflect.get(connectorClient, 'client') : undefined;
  const pipeline: unknown = typeof inner === 'object' && inner !== null ? Reflect.get(inner, 'pipeline') : undefined;
  if (typeof pipeline !== 'object' || pipeline === null) return false;
  const removePolicy: unknown = Reflect.get(pipeline, 'removePolicy');
  if (typeof removePolicy !== 'function') return false;
  const removed: unknown = removePolicy.call(pipeline, { phase: 'Retry' });
  return Array.isArray(removed) && removed.length > 0;
}

/** Every connector client it hands out has had the SDK's retry policy removed. */
class NoSdkRetryAuthentication extends ConfigurationBotFrameworkAuthentication {
  constructor(
    config: ProactiveAuthConfig,
    private readonly log: Logger | undefined,
    endpoints: BotFrameworkEndpoints | undefined,
  ) {
    super(...botAuthenticationArgs(config, endpoints));
  }

  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    const inner = super.createConnectorFactory(claimsIdentity);
    const log = this.log;
    return {
      async create(serviceUrl: string, audience?: string): Promise<ConnectorClient> {
        const client = await inner.create(serviceUrl, audience);
        if (!removeSdkRetry(client)) log?.warn('could not remove botbuilder retry policy: SDK retries will stack under ours');
        return client;
      },
    };
  }
}

/**
 * The adapter proactive sends go through. It is separate from the inbound adapter on purpose: no
 * middleware (the tenant guard would rewrite the stored reference and clear its stale flag on every
 * proactive turn) and no onTurnError (which would swallow a failed send instead of letting us classify
 * it).
 */
export function createProactiveAdapter(config: ProactiveAuthConfig, log?: Logger, endpoints?: BotFrameworkEndpoints): CloudAdapter {
  return new CloudAdapter(new NoSdkRetryAuthentication(config, log, endpoints));
}
