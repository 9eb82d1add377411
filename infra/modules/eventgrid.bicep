// Event Grid: a system topic on the storage account and, once the code is deployed, a subscription
// that hands every new feature partition to the `scoreFeatures` blob trigger (source: EventGrid)
// through the Functions blob extension's webhook.
//
// Chicken and egg: the webhook URL carries the host's `blobs_extension` system key, which exists only
// after code with a blob trigger has been deployed, and Event Grid validates the endpoint when the
// subscription is created. So the subscription is created only when `createSubscription` is true:
// the first `azd up` provisions without it, deploys the code, and the documented post-deploy step
// (README.md (Deploy to Azure)) sets WIRE_RUNTIME_ENDPOINTS=true and runs `azd provision` again.

param systemTopicName string
param location string
param tags object
param storageAccountName string
param deadLetterContainerName string
param lakeFilesystemName string
param functionAppName string

@description('Create the blob-trigger subscription (needs the code deployed; see above).')
param createSubscription bool

@description('Registered name of the blob-triggered function (app.storageBlob(name, ...)).')
param scoreFunctionName string

@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int

@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource deadLetter 'containers' existing = {
      name: deadLetterContainerName
    }
  }
}

resource app 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: systemTopicName
  location: location
  tags: tags
  // The topic's own identity writes dead letters, since the account accepts no shared key.
  identity: { type: 'SystemAssigned' }
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

// Storage Blob Data Contributor, scoped to the dead-letter container only.
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::blobService::deadLetter.id, systemTopic.id, storageBlobDataContributor)
  scope: storage::blobService::deadLetter
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: systemTopic.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// `Microsoft.Web/sites/host` has no Bicep type (so no symbolic listKeys): the ARM function form.
// Bicep inlines this variable where it is used, inside the ternary below.
var blobExtensionUrl = 'https://${app.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${scoreFunctionName}&code=${listKeys('${app.id}/host/default', '2025-03-01').systemKeys.blobs_extension}'

resource featuresLanded 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (createSubscription) {
  parent: systemTopic
  name: 'score-landed-features'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'WebHook'
      properties: {
        // The documented blob extension endpoint; Event Grid keeps the URL secret and never returns
        // it. The condition is repeated so the key lookup can never run against an app without code
        // (ARM's if() evaluates only the branch taken).
        endpointUrl: createSubscription ? blobExtensionUrl : ''
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: ['Microsoft.Storage.BlobCreated']
      subjectBeginsWith: '/blobServices/default/containers/${lakeFilesystemName}/blobs/processed/features/'
      // ADLS writes raise one FlushWithClose when a file is complete (create/append raise none);
      // the Blob API calls cover uploads and copies made with other tools.
      advancedFilters: [
        {
          // A partition's data files and its _SUCCESS marker: whichever event finds the partition
          // complete serves it (the marker usually comes last; an event on an incomplete one waits).
          operatorType: 'StringEndsWith'
          key: 'subject'
          values: ['.csv', '/_SUCCESS']
        }
        {
          operatorType: 'StringIn'
          key: 'data.api'
          values: ['FlushWithClose', 'PutBlob', 'PutBlockList', 'CopyBlob']
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: {
      identity: { type: 'SystemAssigned' }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storage.id
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
  // Dead-lettering must work from the first failed delivery.
  dependsOn: [deadLetterWriter]
}

output systemTopicName string = systemTopic.name
output subscriptionCreated bool = createSubscription
