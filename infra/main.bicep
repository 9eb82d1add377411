// leadscore on Azure: everything `azd up` provisions (README.md (Deploy to Azure) is the guide).
// Subscription scope so that azd creates the resource group of the environment as well.
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('azd environment name (AZURE_ENV_NAME); names the resource group and seeds resource names.')
param environmentName string

@minLength(1)
@description('Region of every resource (AZURE_LOCATION). It must offer Flex Consumption.')
param location string

@minLength(36)
@maxLength(36)
@description('Object id of the principal running azd (AZURE_PRINCIPAL_ID): the Entra admin of the SQL server, so the post-provision step can create the app user and migrate.')
param principalId string

@allowed(['User', 'Group', 'Application'])
@description('Kind of that principal: User for a person, Application for a CI service principal, Group for an admin group.')
param principalType string = 'User'

@description('Name shown for the SQL Entra admin (e.g. the UPN); display only, the object id is what counts.')
param sqlAdminLogin string = 'leadscore-deployer'

@description('E-mail address for gate-failure, scoring-failure and drift alerts.')
param alertEmail string

@description('Activate a version that passes every gate at once (app setting AUTO_DEPLOY).')
param autoDeploy bool = false

@description('Create the endpoints that need the deployed code: the Event Grid subscription to the blob extension and the retrain webhook. false on the first `azd up`; see README.md (Deploy to Azure).')
param wireRuntimeEndpoints bool = false

@minValue(1)
@description('Days to keep lake files under raw/ (they may hold PII).')
param rawRetentionDays int = 90

@minValue(1)
@description('Days to keep lake files under quarantine/.')
param quarantineRetentionDays int = 30

@minValue(1)
@description('Days to keep dead-lettered Event Grid events.')
param deadLetterRetentionDays int = 30

@minValue(30)
@description('Days Log Analytics keeps telemetry.')
param logRetentionDays int = 30

@minValue(40)
@maxValue(1000)
@description('Flex Consumption scale-out limit.')
param maximumInstanceCount int = 40

@allowed([512, 2048, 4096])
@description('Flex Consumption instance memory (MB).')
param instanceMemoryMB int = 2048

@description('Serverless SQL upper bound, vCores.')
param sqlMaxVCores int = 2

@description('Serverless SQL lower bound, vCores (a decimal as a string: Bicep has no decimals).')
param sqlMinVCores string = '0.5'

@description('Minutes of inactivity before the serverless database pauses (-1 never).')
param sqlAutoPauseDelayMinutes int = 60

@description('PSI above which the drift alert fires (a decimal as a string).')
param psiThreshold string = '0.2'

@description('Relative drop of recent AUC below the active version\'s validation AUC above which the AUC-drop alert fires and the app sees a retrain due (app setting AUC_DROP_THRESHOLD; a decimal as a string).')
param aucDropThreshold string = '0.05'

@description('Client (application) id of the Entra app registration that signs admins in (ADMIN_APP_CLIENT_ID, written by the post-provision hook). Empty: no sign-in, admin routes take the function key alone (ADMIN_AUTH=key).')
param adminAppClientId string = ''

@description('Object id of that app registration (ADMIN_APP_OBJECT_ID): the retrain alert\'s secure webhook names it.')
param adminAppObjectId string = ''

@description('Tenant of that app registration (ADMIN_APP_TENANT_ID); empty: the tenant of this deployment.')
param adminAppTenantId string = ''

@description('Registered name of the blob-triggered scoring function.')
param scoreFunctionName string = 'scoreFeatures'

@description('Registered name of the HTTP function that serves POST /api/retrain.')
param retrainFunctionName string = 'retrain'

var lakeFilesystemName = 'lake'
var deploymentContainerName = 'app-package'
var deadLetterContainerName = 'eventgrid-deadletter'

var adminTenantId = empty(adminAppTenantId) ? tenant().tenantId : adminAppTenantId

// Stable per subscription + environment + region, so names are unique and re-deployments idempotent.
var token = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName, app: 'leadscore' }

// Names are computed here, not read from module outputs, so What-If can predict every resource id.
var names = {
  identity: 'id-leadscore-${token}'
  logAnalytics: 'log-leadscore-${token}'
  appInsights: 'appi-leadscore-${token}'
  storage: 'stls${token}'
  sqlServer: 'sql-leadscore-${token}'
  sqlDatabase: 'leadscore'
  plan: 'plan-leadscore-${token}'
  functionApp: 'func-leadscore-${token}'
  systemTopic: 'evgt-leadscore-${token}'
  alertPrefix: 'leadscore-${token}'
}

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    appInsightsName: names.appInsights
    location: location
    tags: tags
    retentionInDays: logRetentionDays
  }
}

module storage 'modules/storage.bicep' = {
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    lakeFilesystemName: lakeFilesystemName
    deploymentContainerName: deploymentContainerName
    deadLetterContainerName: deadLetterContainerName
    rawRetentionDays: rawRetentionDays
    quarantineRetentionDays: quarantineRetentionDays
    deadLetterRetentionDays: deadLetterRetentionDays
  }
}

module sql 'modules/sql.bicep' = {
  scope: rg
  params: {
    serverName: names.sqlServer
    databaseName: names.sqlDatabase
    location: location
    tags: tags
    adminObjectId: principalId
    adminLogin: sqlAdminLogin
    adminPrincipalType: principalType
    maxVCores: sqlMaxVCores
    minVCores: sqlMinVCores
    autoPauseDelayMinutes: sqlAutoPauseDelayMinutes
  }
}

module roles 'modules/roles.bicep' = {
  scope: rg
  params: {
    // An identity's principal id exists only once it is created, and guid(scope, principalId, role)
    // is the documented way to name its role assignments; What-If shows them as "may change".
    #disable-next-line what-if-short-circuiting
    principalId: identity.outputs.principalId
    storageAccountName: names.storage
    appInsightsName: names.appInsights
    logAnalyticsName: names.logAnalytics
  }
  dependsOn: [storage, monitoring]
}

module functionApp 'modules/functionapp.bicep' = {
  scope: rg
  params: {
    planName: names.plan
    appName: names.functionApp
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    lakeAccountUrl: storage.outputs.dfsUrl
    lakeFilesystemName: lakeFilesystemName
    ledgerTablesUrl: storage.outputs.tableUrl
    sqlServerFqdn: sql.outputs.serverFqdn
    sqlDatabaseName: sql.outputs.databaseName
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    logAnalyticsWorkspaceCustomerId: monitoring.outputs.workspaceCustomerId
    autoDeploy: autoDeploy
    // Until the retrain webhook exists (wireRuntimeEndpoints), the drift check calls retrain itself.
    driftRetrain: wireRuntimeEndpoints ? 'alert' : 'direct'
    psiThreshold: psiThreshold
    aucDropThreshold: aucDropThreshold
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    adminAppClientId: adminAppClientId
    adminAppTenantId: adminTenantId
  }
  // The host starts as soon as the app exists; without its storage roles it would fail to start.
  dependsOn: [roles]
}

module eventGrid 'modules/eventgrid.bicep' = {
  scope: rg
  params: {
    systemTopicName: names.systemTopic
    location: location
    tags: tags
    storageAccountName: names.storage
    deadLetterContainerName: deadLetterContainerName
    lakeFilesystemName: lakeFilesystemName
    functionAppName: names.functionApp
    createSubscription: wireRuntimeEndpoints
    scoreFunctionName: scoreFunctionName
    maxDeliveryAttempts: 30
    eventTimeToLiveInMinutes: 1440
  }
  dependsOn: [storage, functionApp]
}

module alerts 'modules/alerts.bicep' = {
  scope: rg
  params: {
    location: location
    tags: tags
    namePrefix: names.alertPrefix
    appInsightsName: names.appInsights
    functionAppName: names.functionApp
    alertEmail: alertEmail
    createRetrainWebhook: wireRuntimeEndpoints
    retrainFunctionName: retrainFunctionName
    psiThreshold: psiThreshold
    aucDropThreshold: aucDropThreshold
    adminAppClientId: adminAppClientId
    adminAppObjectId: adminAppObjectId
    adminAppTenantId: adminTenantId
  }
  dependsOn: [monitoring, functionApp]
}

module workbook 'modules/workbook.bicep' = {
  scope: rg
  params: {
    location: location
    tags: tags
    appInsightsName: names.appInsights
    displayName: 'leadscore operations (${environmentName})'
  }
  dependsOn: [monitoring]
}

// azd stores these in .azure/<env>/.env; the post-provision hook and README.md (Deploy to Azure) read them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'
output AZURE_APP_IDENTITY_NAME string = identity.outputs.name
output AZURE_APP_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output LAKE_ACCOUNT_URL string = storage.outputs.dfsUrl
output LAKE_FILESYSTEM string = lakeFilesystemName
output LEDGER_TABLES_URL string = storage.outputs.tableUrl
output SQL_SERVER string = sql.outputs.serverFqdn
output SQL_SERVER_NAME string = sql.outputs.serverName
output SQL_DATABASE string = sql.outputs.databaseName
output LOG_ANALYTICS_WORKSPACE_ID string = monitoring.outputs.workspaceCustomerId
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName
output EVENT_GRID_SUBSCRIPTION_CREATED bool = eventGrid.outputs.subscriptionCreated
output RETRAIN_WEBHOOK_CREATED bool = alerts.outputs.retrainWebhookCreated
// `entra` once the post-provision hook's app registration is in the environment and provisioned.
output ADMIN_AUTH string = functionApp.outputs.adminAuth
output RETRAIN_WEBHOOK_SIGNED_IN bool = alerts.outputs.retrainWebhookSignedIn
