// Key Vault holds the connection strings (they carry passwords) and the data encryption master keys; the apps read them through the
// managed identity. RBAC only, purge protection on, diagnostics to Log Analytics.
param location string
param prefix string
param readerPrincipalId string
@secure()
param databaseUrl string
@secure()
param redisUrl string
@description('DATA_KEYS: the master keys that wrap every data key (kid:base64 pairs).')
@secure()
param dataKeys string
param workspaceId string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: '${prefix}-kv-${uniqueString(resourceGroup().id)}'
  location: location
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enablePurgeProtection: true
    softDeleteRetentionInDays: 90
  }
}

resource databaseUrlSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'database-url'
  properties: { value: databaseUrl }
}

resource redisUrlSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'redis-url'
  properties: { value: redisUrl }
}

resource dataKeysSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'data-keys'
  properties: { value: dataKeys }
}

// Key Vault Secrets User: read secret values, nothing else.
var secretsUserRole = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')

resource readSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, readerPrincipalId, secretsUserRole)
  properties: {
    roleDefinitionId: secretsUserRole
    principalId: readerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource audit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: vault
  name: 'audit-to-logs'
  properties: {
    workspaceId: workspaceId
    logs: [ { categoryGroup: 'audit', enabled: true } ]
  }
}

output name string = vault.name
output databaseUrlSecretUri string = databaseUrlSecret.properties.secretUri
output redisUrlSecretUri string = redisUrlSecret.properties.secretUri
output dataKeysSecretUri string = dataKeysSecret.properties.secretUri
