// The app's user-assigned managed identity: one identity for every connection the app makes
// (storage, SQL, App Insights ingestion, Log Analytics queries), so access is granted and audited
// in one place and survives re-creating the Function App.

param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
