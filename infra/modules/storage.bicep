// The one storage account of the app: ADLS Gen2 (hierarchical namespace) holding the lake filesystem,
// and also the Functions host storage (AzureWebJobsStorage: keys, blob-trigger receipts, queues),
// the Flex Consumption deployment package, the ledger tables and the Event Grid dead letters.
// One account keeps the blob trigger, the lake and the host on one identity-based connection; the app
// identity needs full data access to the lake anyway, so a second account would not narrow its rights.

@description('Storage account name (3-24 lower-case letters and digits).')
param name string

@description('Azure region.')
param location string

param tags object

@description('Lake filesystem (container) name; the app reads it as LAKE_FILESYSTEM.')
param lakeFilesystemName string

@description('Container for the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Container that receives Event Grid events that could not be delivered.')
param deadLetterContainerName string

@minValue(1)
@description('Days after which files under raw/ are deleted (they may hold PII).')
param rawRetentionDays int

@minValue(1)
@description('Days after which files under quarantine/ are deleted.')
param quarantineRetentionDays int

@minValue(1)
@description('Days after which dead-lettered Event Grid events are deleted.')
param deadLetterRetentionDays int

resource account 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    isHnsEnabled: true
    accessTier: 'Hot'
    // Identity-only: no account keys, no SAS signed with them, Entra tokens by default in the portal.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      // Flex Consumption without a VNet and Event Grid reach the account over its public endpoint.
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'
    properties: {
      containerDeleteRetentionPolicy: { enabled: true, days: 7 }
    }

    resource lake 'containers' = {
      name: lakeFilesystemName
      properties: { publicAccess: 'None' }
    }

    resource deployment 'containers' = {
      name: deploymentContainerName
      properties: { publicAccess: 'None' }
    }

    resource deadLetter 'containers' = {
      name: deadLetterContainerName
      properties: { publicAccess: 'None' }
    }
  }

  resource lifecycle 'managementPolicies' = {
    name: 'default'
    properties: {
      policy: {
        // models/ (and processed/, labels/, scores/, monitoring/) have no rule on purpose: a model
        // version must stay auditable and reproducible for as long as it may be rolled back to.
        rules: [
          {
            name: 'expire-raw'
            enabled: true
            type: 'Lifecycle'
            definition: {
              filters: { blobTypes: ['blockBlob'], prefixMatch: ['${lakeFilesystemName}/raw/'] }
              actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: rawRetentionDays } } }
            }
          }
          {
            name: 'expire-quarantine'
            enabled: true
            type: 'Lifecycle'
            definition: {
              filters: { blobTypes: ['blockBlob'], prefixMatch: ['${lakeFilesystemName}/quarantine/'] }
              actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: quarantineRetentionDays } } }
            }
          }
          {
            name: 'expire-dead-letters'
            enabled: true
            type: 'Lifecycle'
            definition: {
              filters: { blobTypes: ['blockBlob'], prefixMatch: ['${deadLetterContainerName}/'] }
              actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: deadLetterRetentionDays } } }
            }
          }
        ]
      }
    }
    // The policy names containers by prefix; create them first so the rules never dangle.
    dependsOn: [blobService::lake, blobService::deadLetter]
  }
}

output name string = account.name
output id string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob
// Built rather than read so they carry no trailing slash, as the app's settings expect.
output dfsUrl string = 'https://${account.name}.dfs.${environment().suffixes.storage}'
output tableUrl string = 'https://${account.name}.table.${environment().suffixes.storage}'
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainerName}'
