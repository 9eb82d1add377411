// Alert rules over the app's telemetry (Application Insights tables; names in README.md (Deploy to Azure)):
// - PSI > 0.2 on any feature or the score -> the retrain webhook (POST /api/retrain, common alert
//   schema; a secure webhook with an Entra token once sign-in is configured) and the e-mail group;
// - recent AUC more than AUC_DROP_THRESHOLD (relative) below the active version's validation AUC
//   -> the same two (the performance trigger: with DRIFT_RETRAIN=alert the app only reports it); the
//   baseline is the app's PERFORMANCE_BASELINE (validation or training AUC), sent with the metric;
// - data older than the freshness limits (the newest features partition or labelled send day the
//   drift check used)                      -> e-mail;
// - a retrain that failed a gate            -> e-mail;
// - a feature partition that failed to score -> e-mail.
// Log search alerts rather than metric alerts: custom metric dimensions (the PSI `feature`) reach
// metric alerts only with an opt-in on the component, and the rows are in the workspace anyway.

param location string
param tags object
param appInsightsName string
param functionAppName string
param namePrefix string

@description('Address that receives gate-failure, scoring-failure and drift e-mails.')
param alertEmail string

@description('Create the retrain webhook action group (needs the code deployed: it carries a function key).')
param createRetrainWebhook bool

@description('Registered name of the HTTP function behind POST /api/retrain; its function key authorises the webhook.')
param retrainFunctionName string

@description('PSI above which a feature (or the score) counts as drifted.')
param psiThreshold string

@description('Relative drop of recent AUC below the active version\'s validation AUC above which a retrain is due (the app setting AUC_DROP_THRESHOLD; a decimal as a string).')
param aucDropThreshold string

@description('Client id of the app registration behind sign-in on the admin routes; empty: no sign-in.')
param adminAppClientId string

@description('Object id of that app registration (the secure webhook names the application object).')
param adminAppObjectId string

@description('Tenant of that app registration.')
param adminAppTenantId string

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource app 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName

  resource retrainFunction 'functions' existing = {
    name: retrainFunctionName
  }
}

resource emailGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-email'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'lsemail'
    enabled: true
    emailReceivers: [
      { name: 'operators', emailAddress: alertEmail, useCommonAlertSchema: true }
    ]
  }
}

// A function-level key (valid for the retrain function only), not a host key. Bicep inlines the
// variable where it is used.
var retrainUrl = 'https://${app.properties.defaultHostName}/api/retrain?code=${app::retrainFunction.listKeys().default}'

// With sign-in on the admin routes, POST /api/retrain needs an Entra token as well as the key: a
// secure webhook, for which Azure Monitor's action groups (the "AzNS AAD Webhook" application, which
// the post-provision hook gives the LeadScore.Admin role) get a token for the app registration.
var secureWebhook = !empty(adminAppClientId) && !empty(adminAppObjectId)
var entraAuth = secureWebhook
  ? {
      useAadAuth: true
      objectId: adminAppObjectId
      identifierUri: 'api://${adminAppClientId}'
      tenantId: adminAppTenantId
    }
  : { useAadAuth: false }

resource retrainGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (createRetrainWebhook) {
  name: '${namePrefix}-retrain'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'lsretrain'
    enabled: true
    webhookReceivers: [
      union(
        {
          name: 'retrain'
          // The condition is repeated so the key lookup can never run against an app without code
          // (ARM's if() evaluates only the branch taken).
          serviceUri: createRetrainWebhook ? retrainUrl : ''
          // The endpoint parses the common alert schema (data.essentials / data.alertContext).
          useCommonAlertSchema: true
        },
        entraAuth
      )
    ]
  }
}

var psiQuery = '''
customMetrics
| where name == "psi"
| extend feature = tostring(customDimensions.feature)
| summarize psi = max(coalesce(valueMax, value)) by feature
'''

// The drift check sends auc_recent with the active version's validation AUC as `baseline` (and the
// app's own threshold as `threshold`); the relative drop is the app's: (baseline - recent) / baseline.
// A row holds one measurement or an aggregate (valueSum over valueCount).
var aucDropQuery = '''
customMetrics
| where name == "auc_recent"
| extend modelVersion = tostring(customDimensions.modelVersion),
         baseline = todouble(customDimensions.baseline),
         recent = iff(valueCount > 0, valueSum / valueCount, value)
| where baseline > 0
| summarize relativeDrop = max((baseline - recent) / baseline) by modelVersion
'''

// The drift check sends data_age_days for the features partition and the labels it used, each with
// the app's own limit (GATE_MAX_FEATURES_AGE_DAYS / GATE_MAX_LABEL_AGE_DAYS) as `limit`: the rule
// fires when either is older, so the limits live in one place, the app settings.
var dataAgeQuery = '''
customMetrics
| where name == "data_age_days"
| extend data = tostring(customDimensions.data),
         limit = todouble(customDimensions.limit),
         age = iff(valueCount > 0, valueSum / valueCount, value)
| where isnotnull(limit)
| summarize daysOverLimit = max(age - limit) by data
'''

var gateFailedQuery = '''
customEvents
| where name == "GateFailed"
| extend gate = tostring(customDimensions.gate)
'''

// The app's own ScoringFailed events, and any failed run of the blob-triggered scoreFeatures.
var scoringFailedQuery = '''
union
  (customEvents | where name == "ScoringFailed"),
  (requests | where name == "scoreFeatures" and success == false)
'''

resource psiAlert 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: '${namePrefix}-psi-drift'
  location: location
  tags: tags
  properties: {
    displayName: 'leadscore: feature drift (PSI > ${psiThreshold})'
    description: 'The daily drift check measured a PSI above the threshold; the webhook starts a retrain (rate-limited by the app).'
    severity: 2
    enabled: true
    scopes: [appInsights.id]
    // The drift check runs once a day; a 2-hour window evaluated hourly tolerates ingestion delay,
    // and muting for 23 hours keeps the same measurement from triggering twice.
    evaluationFrequency: 'PT1H'
    windowSize: 'PT2H'
    muteActionsDuration: 'PT23H'
    autoMitigate: false
    criteria: {
      allOf: [
        {
          query: psiQuery
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'psi'
          dimensions: [{ name: 'feature', operator: 'Include', values: ['*'] }]
          operator: 'GreaterThan'
          threshold: json(psiThreshold)
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: {
      actionGroups: createRetrainWebhook ? [retrainGroup.id, emailGroup.id] : [emailGroup.id]
    }
  }
}

resource aucDropAlert 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: '${namePrefix}-auc-drop'
  location: location
  tags: tags
  properties: {
    displayName: 'leadscore: model performance (recent AUC more than ${aucDropThreshold} relative below its baseline)'
    description: 'The daily drift check measured the active version\'s AUC on recently matured labels more than the configured share below its baseline AUC (PERFORMANCE_BASELINE: validation or training); the webhook starts a retrain (rate-limited by the app).'
    severity: 2
    enabled: true
    scopes: [appInsights.id]
    // As the PSI rule: the drift check runs once a day.
    evaluationFrequency: 'PT1H'
    windowSize: 'PT2H'
    muteActionsDuration: 'PT23H'
    autoMitigate: false
    criteria: {
      allOf: [
        {
          query: aucDropQuery
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'relativeDrop'
          dimensions: [{ name: 'modelVersion', operator: 'Include', values: ['*'] }]
          operator: 'GreaterThan'
          threshold: json(aucDropThreshold)
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: {
      actionGroups: createRetrainWebhook ? [retrainGroup.id, emailGroup.id] : [emailGroup.id]
    }
  }
}

resource dataStaleAlert 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: '${namePrefix}-data-stale'
  location: location
  tags: tags
  properties: {
    displayName: 'leadscore: stale data (features or labels older than the freshness limits)'
    description: 'The daily drift check used a features partition or labels older than GATE_MAX_FEATURES_AGE_DAYS / GATE_MAX_LABEL_AGE_DAYS: ingestion or label collection has stopped, and retrains are refused by the data_freshness gate until it resumes.'
    severity: 2
    enabled: true
    scopes: [appInsights.id]
    // As the PSI rule: the drift check runs once a day.
    evaluationFrequency: 'PT1H'
    windowSize: 'PT2H'
    muteActionsDuration: 'PT23H'
    autoMitigate: false
    criteria: {
      allOf: [
        {
          query: dataAgeQuery
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'daysOverLimit'
          dimensions: [{ name: 'data', operator: 'Include', values: ['*'] }]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: {
      actionGroups: [emailGroup.id]
    }
  }
}

resource gateAlert 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: '${namePrefix}-retrain-gate-failed'
  location: location
  tags: tags
  properties: {
    displayName: 'leadscore: retrain failed a gate'
    description: 'A retrain run failed a deployment gate; production weights are unchanged. The run records which gate and why.'
    severity: 2
    enabled: true
    scopes: [appInsights.id]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT30M'
    muteActionsDuration: 'PT30M'
    autoMitigate: false
    criteria: {
      allOf: [
        {
          query: gateFailedQuery
          timeAggregation: 'Count'
          dimensions: [{ name: 'gate', operator: 'Include', values: ['*'] }]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: [emailGroup.id] }
  }
}

resource scoringAlert 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: '${namePrefix}-scoring-failed'
  location: location
  tags: tags
  properties: {
    displayName: 'leadscore: scoring a feature partition failed'
    description: 'A landed feature partition was not scored (too many bad rows, no active version, or an error); lead_scores is stale.'
    severity: 1
    enabled: true
    scopes: [appInsights.id]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT30M'
    muteActionsDuration: 'PT30M'
    autoMitigate: false
    criteria: {
      allOf: [
        {
          query: scoringFailedQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: [emailGroup.id] }
  }
}

output emailActionGroupId string = emailGroup.id
output retrainWebhookCreated bool = createRetrainWebhook
output retrainWebhookSignedIn bool = createRetrainWebhook && secureWebhook
