import { ConfidentialClientApplication } from '@azure/msal-node';
import { CallerIdConstants, type ConfigurationBotFrameworkAuthentication, type ConfigurationBotFrameworkAuthenticationOptions } from 'botbuilder';
import { AuthenticationConstants, MsalServiceClientCredentialsFactory } from 'botframework-connector';

export interface BotAppCredentials {
  MicrosoftAppId: string;
  MicrosoftAppPassword: string;
  MicrosoftAppType: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';
  MicrosoftAppTenantId: string;
}

/**
 * Where Bot Framework tokens are checked (inbound) and obtained (outbound), for tests that prove the
 * authenticated path against locally signed tokens. Production never sets this: it is reachable only
 * through createApp's options, which main() does not pass, so no environment variable can point a
 * deployment at a foreign token issuer. Without it botbuilder uses the public Azure cloud's values.
 */
export interface BotFrameworkEndpoints {
  /** ToBotFromChannelOpenIdMetadataUrl: an OpenID configuration whose jwks_uri holds the channel's signing keys. */
  openIdMetadataUrl: string;
  /** ToBotFromChannelTokenIssuer: the `iss` every inbound channel token must carry. */
  tokenIssuer: string;
  /** ToChannelFromBotLoginUrl: the authority (https: MSAL refuses anything else) the bot gets outbound tokens from. */
  loginUrl: string;
  /** ToChannelFromBotOAuthScope: the audience of outbound tokens; default https://api.botframework.com. */
  oauthScope?: string;
  /** PEM certificate(s) the login authority's TLS certificate is checked against. */
  loginCaPem: string;
}

export type BotAuthenticationArgs = [
  options: ConfigurationBotFrameworkAuthenticationOptions,
  credentialsFactory?: ConstructorParameters<typeof ConfigurationBotFrameworkAuthentication>[1],
];

/**
 * The arguments for ConfigurationBotFrameworkAuthentication, shared by the inbound adapter and the
 * proactive one so both check and obtain tokens in the same place.
 *
 * With test endpoints, two things cannot be reached through botbuilder's configuration alone:
 * MicrosoftAppCredentials builds its MSAL client from the login URL with no `knownAuthorities`, so
 * MSAL asks https://login.microsoftonline.com (instance discovery) whether any other authority is
 * trusted, and MSAL accepts only https authorities, trusting only the system's CAs. So the outbound
 * side gets botframework-connector's MsalServiceClientCredentialsFactory around an MSAL client that
 * knows the local authority and trusts its test CA: the same client-credentials grant as production,
 * from a different authority (MicrosoftAppType and MicrosoftAppTenantId play no part there: the
 * authority is the test's). Everything inbound (OpenID metadata, issuer) is plain configuration.
 * A parameterized configuration needs every value, so the ones tests do not change keep botbuilder's
 * public-cloud defaults, except the Emulator's metadata, which points at the same local keys so no
 * token is ever checked against the internet.
 */
export function botAuthenticationArgs(creds: BotAppCredentials, endpoints?: BotFrameworkEndpoints): BotAuthenticationArgs {
  const base: ConfigurationBotFrameworkAuthenticationOptions = {
    MicrosoftAppId: creds.MicrosoftAppId,
    MicrosoftAppPassword: creds.MicrosoftAppPassword,
    // Without an app id (local mode only) botbuilder runs unauthenticated only as MultiTenant: its
    // SingleTenant and MSI credential factories insist on an app id.
    MicrosoftAppType: creds.MicrosoftAppId ? creds.MicrosoftAppType : 'MultiTenant',
    MicrosoftAppTenantId: creds.MicrosoftAppTenantId,
  };
  if (!endpoints) return [base];
  const options: ConfigurationBotFrameworkAuthenticationOptions = {
    ...base,
    ToBotFromChannelOpenIdMetadataUrl: endpoints.openIdMetadataUrl,
    ToBotFromChannelTokenIssuer: endpoints.tokenIssuer,
    ToBotFromEmulatorOpenIdMetadataUrl: endpoints.openIdMetadataUrl,
    ToChannelFromBotLoginUrl: endpoints.loginUrl,
    ToChannelFromBotOAuthScope: endpoints.oauthScope ?? AuthenticationConstants.ToChannelFromBotOAuthScope,
    OAuthUrl: AuthenticationConstants.OAuthUrl,
    CallerId: CallerIdConstants.PublicAzureChannel,
    ValidateAuthority: true,
  };
  const msal = new ConfidentialClientApplication({
    auth: {
      clientId: creds.MicrosoftAppId,
      clientSecret: creds.MicrosoftAppPassword,
      authority: endpoints.loginUrl,
      knownAuthorities: [new URL(endpoints.loginUrl).host],
    },
    system: { customAgentOptions: { ca: endpoints.loginCaPem } },
  });
  return [options, new MsalServiceClientCredentialsFactory(creds.MicrosoftAppId, msal)];
}
