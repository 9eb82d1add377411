// The operations workbook (infra/monitoring/workbook.json), bound to Application Insights.
// The JSON is kept as a file so it can be edited in the portal's Advanced Editor and pasted back.

param location string
param tags object
param appInsightsName string
param displayName string

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

var content = loadJsonContent('../monitoring/workbook.json')

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's resource name must be a GUID; derive it so re-deployments update the same one.
  name: guid(appInsights.id, 'leadscore-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: appInsights.id
    serializedData: string(union(content, { fallbackResourceIds: [appInsights.id] }))
  }
}

output id string = workbook.id
