// Azure SQL logical server + one serverless database, Entra-only authentication (no SQL logins,
// no passwords anywhere). The deploying principal is the Entra admin so that the post-provision
// step (infra/scripts/postprovision.sh) can create the app identity's database user and migrate.

param serverName string
param databaseName string
param location string
param tags object

@description('Object id of the Entra principal that administers the server (azd: AZURE_PRINCIPAL_ID).')
param adminObjectId string

@description('Display name recorded for that admin (a UPN, group or app name; used for display only).')
param adminLogin string

@allowed(['User', 'Group', 'Application'])
param adminPrincipalType string

@description('Upper bound of the serverless compute, in vCores.')
param maxVCores int

@description('Lower bound of the serverless compute, in vCores (0.5 is the smallest).')
param minVCores string

@description('Minutes of inactivity before the database pauses (-1 never pauses; 60 is the minimum).')
param autoPauseDelayMinutes int

resource server 'Microsoft.Sql/servers@2025-01-01' = {
  name: serverName
  location: location
  tags: tags
  properties: {
    minimalTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    administrators: {
      administratorType: 'ActiveDirectory'
      azureADOnlyAuthentication: true
      login: adminLogin
      sid: adminObjectId
      principalType: adminPrincipalType
      tenantId: tenant().tenantId
    }
  }

  // Also as a child resource: `administrators` above is honoured only when the server is created,
  // this keeps Entra-only authentication enforced on every later deployment.
  resource entraOnly 'azureADOnlyAuthentications' = {
    name: 'Default'
    properties: { azureADOnlyAuthentication: true }
  }

  // Flex Consumption without a VNet has no fixed outbound addresses, so the app reaches SQL through
  // the "Azure services" rule (0.0.0.0). Authentication is still Entra-only; a VNet + private
  // endpoint is the stricter upgrade once the app is VNet-integrated.
  resource allowAzure 'firewallRules' = {
    name: 'AllowAllWindowsAzureIps'
    properties: { startIpAddress: '0.0.0.0', endIpAddress: '0.0.0.0' }
  }

  resource database 'databases' = {
    name: databaseName
    location: location
    tags: tags
    sku: {
      name: 'GP_S_Gen5'
      tier: 'GeneralPurpose'
      family: 'Gen5'
      capacity: maxVCores
    }
    properties: {
      collation: 'SQL_Latin1_General_CP1_CI_AS'
      autoPauseDelay: autoPauseDelayMinutes
      minCapacity: json(minVCores)
      zoneRedundant: false
    }
  }
}

output serverName string = server.name
output serverFqdn string = server.properties.fullyQualifiedDomainName
output databaseName string = server::database.name
