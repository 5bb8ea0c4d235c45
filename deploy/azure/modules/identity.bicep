// The bot's identity: a user-assigned managed identity (MicrosoftAppType=UserAssignedMSI), so no
// password exists anywhere. The same identity reads the app's secrets from Key Vault.
param location string
param prefix string

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${prefix}-bot-identity'
  location: location
}

output id string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
