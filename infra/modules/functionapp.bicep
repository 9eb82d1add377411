// The Function App on Flex Consumption (Linux, Node.js 22), running as the user-assigned identity.
// Every connection is identity-based: no connection string with a key, no secret in any setting.

param planName string
param appName string
param location string
param tags object

@description('Resource id of the app\'s user-assigned managed identity.')
param identityId string

@description('Client id of that identity (AZURE_CLIENT_ID for DefaultAzureCredential).')
param identityClientId string

param storageAccountName string
param deploymentContainerUrl string
param lakeAccountUrl string
param lakeFilesystemName string
param ledgerTablesUrl string
param sqlServerFqdn string
param sqlDatabaseName string
param appInsightsConnectionString string
param logAnalyticsWorkspaceCustomerId string

@description('Activate a version that passes every gate at once (AUTO_DEPLOY).')
param autoDeploy bool

@allowed(['direct', 'alert'])
@description('How a drift check starts a retrain (DRIFT_RETRAIN): through the alert webhook once it exists.')
param driftRetrain string

@description('PSI drift threshold (PSI_THRESHOLD); the same value as the drift alert rule.')
param psiThreshold string

@description('Relative AUC drop that makes a retrain due (AUC_DROP_THRESHOLD); the same value as the AUC-drop alert rule.')
param aucDropThreshold string

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@allowed([512, 2048, 4096])
param instanceMemoryMB int

@description('Client id of the Entra app registration whose tokens sign admins in (infra/scripts/entra-postprovision.js); empty: no sign-in.')
param adminAppClientId string

@description('Tenant of that app registration.')
param adminAppTenantId string

// Built-in authentication (App Service authentication, authsettingsV2) with Microsoft Entra ID once
// the app registration exists. Every request then needs a valid Entra access token for the
// registration (api://<client id>) and is refused with 401 by the platform otherwise, except on
// the paths below, which keep their function or system key alone. An allowlist of what stays open
// rather than a list of what is closed: a route added later (POST /api/weights/{N}/challenger) is
// an admin route unless it is added here. In excludedPaths a trailing `*` matches everything below
// it, so no entry here may be a prefix wildcard over an admin route (`/api/weights/*` would open
// /api/weights/{version}/deploy); test/infra/signin.test.ts checks the list against every route.
var signIn = !empty(adminAppClientId)
var keyOnlyPaths = [
  '/api/score' // scoreContact
  '/api/weights' // weights
  '/api/weights/active' // weightsActive
  '/api/status' // status
  '/api/runs/*' // runs (runs/{id})
  '/api/openapi.json' // openapi
  // Event Grid delivers BlobCreated to the blob extension with its system key (scoreFeatures).
  '/runtime/webhooks/blobs'
  // The host's own admin API, which takes only the master key: the platform and the portal (Test/Run
  // of the timer and queue functions, the function list) call it without an Entra token.
  '/admin/*'
]

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2025-03-01' = {
  name: appName
  location: location
  // azd finds the deployment target of service `api` (azure.yaml) by this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: maximumInstanceCount, instanceMemoryMB: instanceMemoryMB }
      runtime: { name: 'node', version: '22' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      // Lets the portal's "Test/Run" call the HTTP functions (e.g. a rollback from the portal).
      cors: { allowedOrigins: ['https://portal.azure.com'] }
      // Flex Consumption sets FUNCTIONS_WORKER_RUNTIME and the runtime version from functionAppConfig;
      // it rejects them as app settings.
      appSettings: [
        // Host storage through the identity (the blob trigger uses this connection too).
        { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        // Connection `LAKE` of the scoreFeatures blob trigger (functions/scoreFeatures.ts): the same
        // account through the same identity. Blob triggers need the queue endpoint too (poison queue).
        { name: 'LAKE__blobServiceUri', value: 'https://${storageAccountName}.blob.${environment().suffixes.storage}' }
        { name: 'LAKE__queueServiceUri', value: 'https://${storageAccountName}.queue.${environment().suffixes.storage}' }
        { name: 'LAKE__credential', value: 'managedidentity' }
        { name: 'LAKE__clientId', value: identityClientId }
        // The connection string only says where to send; local auth is off on the component, so
        // ingestion also needs the Entra token that the authentication string asks for.
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${identityClientId}' }
        // What the app reads (shared/config.ts); every Azure adapter signs in as this one identity.
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'LAKE_KIND', value: 'adls' }
        { name: 'LAKE_ACCOUNT_URL', value: lakeAccountUrl }
        { name: 'LAKE_FILESYSTEM', value: lakeFilesystemName }
        { name: 'WAREHOUSE_KIND', value: 'mssql' }
        { name: 'SQL_SERVER', value: sqlServerFqdn }
        { name: 'SQL_DATABASE', value: sqlDatabaseName }
        { name: 'LEDGER_KIND', value: 'tables' }
        { name: 'LEDGER_TABLES_URL', value: ledgerTablesUrl }
        { name: 'TELEMETRY_KIND', value: 'appinsights' }
        { name: 'LOG_ANALYTICS_WORKSPACE_ID', value: logAnalyticsWorkspaceCustomerId }
        // ARM's string(bool) gives "True"/"False"; the app accepts only true/false/1/0.
        { name: 'AUTO_DEPLOY', value: autoDeploy ? 'true' : 'false' }
        { name: 'DRIFT_RETRAIN', value: driftRetrain }
        { name: 'PSI_THRESHOLD', value: psiThreshold }
        { name: 'AUC_DROP_THRESHOLD', value: aucDropThreshold }
        // How the admin routes authorise (issue 8): `entra` = the platform has validated an Entra token
        // and the app requires the LeadScore.Admin role in it; `key` = no sign-in, the function key alone.
        { name: 'ADMIN_AUTH', value: signIn ? 'entra' : 'key' }
      ]
    }
  }

  // No publishing user names/passwords: azd deploys with an Entra token.
  resource ftpCredentials 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: { allow: false }
  }

  resource scmCredentials 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: { allow: false }
  }

  // Bearer tokens only (no login page, no token store, so no client secret): callers get a token
  // themselves (az account get-access-token, the alert's secure webhook). The platform also removes
  // any x-ms-client-principal* header a caller sends, so the principal the app sees is Entra's.
  resource auth 'config' = if (signIn) {
    name: 'authsettingsV2'
    properties: {
      platform: { enabled: true }
      globalValidation: {
        requireAuthentication: true
        unauthenticatedClientAction: 'Return401'
        excludedPaths: keyOnlyPaths
      }
      httpSettings: { requireHttps: true }
      identityProviders: {
        azureActiveDirectory: {
          enabled: true
          registration: {
            clientId: adminAppClientId
            // The registration asks for v2 access tokens, whose issuer is the v2.0 endpoint.
            openIdIssuer: '${environment().authentication.loginEndpoint}${adminAppTenantId}/v2.0'
          }
          validation: {
            // v2 tokens carry the client id as audience; the identifier URI is accepted as well.
            allowedAudiences: [adminAppClientId, 'api://${adminAppClientId}']
          }
        }
      }
      login: { tokenStore: { enabled: false } }
    }
  }
}

output name string = app.name
output id string = app.id
output defaultHostName string = app.properties.defaultHostName
output adminAuth string = signIn ? 'entra' : 'key'
