// RJ Referrals on Azure: one resource group, region uksouth by default.
// Deploy (see deploy/README.md):
//   az deployment group create -g <rg> -f deploy/azure/main.bicep -p @deploy/azure/main.parameters.json
targetScope = 'resourceGroup'

@description('Azure region; UK South keeps criminal-offence data in the UK.')
param location string = 'uksouth'

@description('Short lowercase prefix for resource names, e.g. rjref.')
@minLength(3)
@maxLength(12)
param prefix string

@description('Container image of the app (deploy/Dockerfile), e.g. myregistry.azurecr.io/rj-referrals:1.0.0.')
param image string

@description('The service\'s own Microsoft 365 tenant id (coordinators, facilitators).')
param staffTenantId string = tenant().tenantId

@description('Partner tenants allowed to refer: tenantId=Organisation name pairs, comma-separated.')
param partnerTenants string = ''

@description('Entra object ids of the first coordinators (comma-separated); they seed an empty roster only.')
param coordinatorAadIds string

@description('Administrator login of the PostgreSQL flexible server.')
param postgresAdminLogin string = 'rjadmin'

@description('Administrator password of the PostgreSQL flexible server (kept in Key Vault for the app).')
@secure()
param postgresAdminPassword string

@description('DATA_KEYS: master keys for encryption at rest, kid:base64 pairs (openssl rand -base64 32 each); kept in Key Vault.')
@secure()
param dataKeys string

@description('DATA_KEY_ID: the kid of dataKeys that wraps new data keys.')
param dataKeyId string

@description('Container registry of the image (e.g. myregistry.azurecr.io); empty for a public image.')
param registryServer string = ''

@description('Web replicas (each serves Teams and card actions); the worker runs one replica.')
@minValue(1)
param webReplicas int = 2

module logs 'modules/logs.bicep' = {
  name: 'logs'
  params: { location: location, prefix: prefix }
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: { location: location, prefix: prefix }
}

module postgres 'modules/postgres.bicep' = {
  name: 'postgres'
  params: {
    location: location
    prefix: prefix
    adminLogin: postgresAdminLogin
    adminPassword: postgresAdminPassword
  }
}

module redis 'modules/redis.bicep' = {
  name: 'redis'
  params: { location: location, prefix: prefix }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    prefix: prefix
    readerPrincipalId: identity.outputs.principalId
    databaseUrl: 'postgres://${postgresAdminLogin}:${uriComponent(postgresAdminPassword)}@${postgres.outputs.fqdn}:5432/${postgres.outputs.databaseName}?sslmode=require'
    redisUrl: 'rediss://:${redis.outputs.accessKey}@${redis.outputs.hostName}:${redis.outputs.port}'
    dataKeys: dataKeys
    workspaceId: logs.outputs.workspaceId
  }
}

module apps 'modules/containerapps.bicep' = {
  name: 'apps'
  params: {
    location: location
    prefix: prefix
    image: image
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    workspaceCustomerId: logs.outputs.customerId
    workspaceSharedKey: logs.outputs.sharedKey
    databaseUrlSecretUri: vault.outputs.databaseUrlSecretUri
    redisUrlSecretUri: vault.outputs.redisUrlSecretUri
    dataKeysSecretUri: vault.outputs.dataKeysSecretUri
    dataKeyId: dataKeyId
    staffTenantId: staffTenantId
    partnerTenants: partnerTenants
    coordinatorAadIds: coordinatorAadIds
    webReplicas: webReplicas
    registryServer: registryServer
  }
}

module bot 'modules/bot.bicep' = {
  name: 'bot'
  params: {
    prefix: prefix
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    tenantId: tenant().tenantId
    messagingEndpoint: 'https://${apps.outputs.webFqdn}/api/messages'
  }
}

output messagingEndpoint string = 'https://${apps.outputs.webFqdn}/api/messages'
output botAppId string = identity.outputs.clientId
output keyVaultName string = vault.outputs.name
output identityPrincipalId string = identity.outputs.principalId
