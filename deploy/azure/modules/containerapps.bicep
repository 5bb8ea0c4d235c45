// Web and worker from one image: web serves Teams (/api/messages) behind HTTPS ingress with
// /healthz and /readyz probes; the worker (WORKER_ONLY=1) runs the reminders and has no ingress.
param location string
param prefix string
param image string
param identityId string
param identityClientId string
param workspaceCustomerId string
@secure()
param workspaceSharedKey string
param databaseUrlSecretUri string
param redisUrlSecretUri string
param dataKeysSecretUri string
@description('DATA_KEY_ID: the kid of DATA_KEYS that wraps new data keys.')
param dataKeyId string
param staffTenantId string
param partnerTenants string
param coordinatorAadIds string
param webReplicas int
@description('Container registry the image comes from (e.g. myregistry.azurecr.io); the identity needs AcrPull on it. Empty: a public image.')
param registryServer string = ''

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${prefix}-env'
  location: location
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: { customerId: workspaceCustomerId, sharedKey: workspaceSharedKey }
    }
  }
}

var registries = empty(registryServer) ? [] : [ { server: registryServer, identity: identityId } ]

var secrets = [
  { name: 'database-url', keyVaultUrl: databaseUrlSecretUri, identity: identityId }
  { name: 'redis-url', keyVaultUrl: redisUrlSecretUri, identity: identityId }
  { name: 'data-keys', keyVaultUrl: dataKeysSecretUri, identity: identityId }
]

// Every variable src/config.ts requires in production (test/integration/deployDrift.test.ts checks).
var appEnv = [
  { name: 'NODE_ENV', value: 'production' }
  { name: 'DATABASE_URL', secretRef: 'database-url' }
  { name: 'REDIS_URL', secretRef: 'redis-url' }
  { name: 'DATA_KEYS', secretRef: 'data-keys' }
  { name: 'DATA_KEY_ID', value: dataKeyId }
  { name: 'MicrosoftAppType', value: 'UserAssignedMSI' }
  { name: 'MicrosoftAppId', value: identityClientId }
  { name: 'MicrosoftAppTenantId', value: tenant().tenantId }
  { name: 'STAFF_TENANT_ID', value: staffTenantId }
  { name: 'PARTNER_TENANTS', value: partnerTenants }
  { name: 'COORDINATOR_AAD_IDS', value: coordinatorAadIds }
  { name: 'LOG_LEVEL', value: 'info' }
  // The managed identity the SDKs pick when more than one could apply.
  { name: 'AZURE_CLIENT_ID', value: identityClientId }
]

resource web 'Microsoft.App/containerApps@2024-03-01' = {
  name: '${prefix}-web'
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      secrets: secrets
      registries: registries
      ingress: {
        external: true
        targetPort: 3978
        transport: 'http'
        allowInsecure: false
      }
    }
    template: {
      containers: [
        {
          name: 'web'
          image: image
          resources: { cpu: json('0.5'), memory: '1Gi' }
          env: concat(appEnv, [ { name: 'WEB_ONLY', value: '1' }, { name: 'PORT', value: '3978' } ])
          probes: [
            { type: 'Liveness', httpGet: { path: '/healthz', port: 3978 }, periodSeconds: 30 }
            { type: 'Readiness', httpGet: { path: '/readyz', port: 3978 }, periodSeconds: 10 }
          ]
        }
      ]
      scale: { minReplicas: webReplicas, maxReplicas: max(webReplicas, 6) }
    }
  }
}

resource worker 'Microsoft.App/containerApps@2024-03-01' = {
  name: '${prefix}-worker'
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    managedEnvironmentId: environment.id
    configuration: { secrets: secrets, registries: registries }
    template: {
      containers: [
        {
          name: 'worker'
          image: image
          resources: { cpu: json('0.5'), memory: '1Gi' }
          env: concat(appEnv, [ { name: 'WORKER_ONLY', value: '1' } ])
        }
      ]
      // Several workers may run (deliveries are claimed in PostgreSQL); one is enough for a service.
      scale: { minReplicas: 1, maxReplicas: 1 }
    }
  }
}

output webFqdn string = web.properties.configuration.ingress.fqdn
