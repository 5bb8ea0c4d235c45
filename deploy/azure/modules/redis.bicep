// Azure Managed Redis for the BullMQ schedule. Its default eviction policy would drop BullMQ keys
// under memory pressure, so NoEviction is set explicitly; AOF persistence every second survives a restart.
param location string
param prefix string

resource cluster 'Microsoft.Cache/redisEnterprise@2024-10-01' = {
  name: '${prefix}-redis'
  location: location
  sku: { name: 'Balanced_B1' }
  properties: { minimumTlsVersion: '1.2' }
}

resource database 'Microsoft.Cache/redisEnterprise/databases@2024-10-01' = {
  parent: cluster
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: 10000
    clusteringPolicy: 'EnterpriseCluster'
    evictionPolicy: 'NoEviction'
    persistence: { aofEnabled: true, aofFrequency: '1s' }
  }
}

output hostName string = cluster.properties.hostName
output port int = database.properties.port
#disable-next-line outputs-should-not-contain-secrets
output accessKey string = database.listKeys().primaryKey
