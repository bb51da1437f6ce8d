// Deploys the backend to Azure Functions Flex Consumption (Linux), .NET 10 isolated worker: a
// storage account reached only through a user-assigned managed identity (no keys; the host's own
// AzureWebJobsStorage too), the function app, and Application Insights. Deploy the zip package that
// scripts/publish produces (README: "Deploying to Azure").
//
//   az deployment group create -g <rg> -f infra/main.bicep \
//     -p appName=<name> authIssuer=<iss> authAudience=<aud> authJwksUri=<jwks url> cursorSigningKey=<base64 32 bytes> \
//        lifecycleReceiptKey=<base64 32 bytes>
//
// Not validated by CI: the Bicep compiler and Azure are not reachable from our build machines.

@description('Base name for every resource (letters and digits, 3 to 18 characters).')
@minLength(3)
@maxLength(18)
param appName string

@description('Azure region.')
param location string = resourceGroup().location

@description('JWT issuer (iss) that user tokens must carry, e.g. https://<ref>.supabase.co/auth/v1.')
param authIssuer string

@description('JWT audience (aud) that user tokens must carry, e.g. authenticated.')
param authAudience string

@description('JWKS URL with the token signing keys (Supabase asymmetric keys, Auth0, Entra). Leave empty to use authAuthority or authHmacSecret.')
param authJwksUri string = ''

@description('OIDC authority for discovery of signing keys. Leave empty to use authJwksUri or authHmacSecret.')
param authAuthority string = ''

@description('Supabase legacy HS256 secret. Leave empty for asymmetric keys.')
@secure()
param authHmacSecret string = ''

@description('Require role=authenticated (Supabase: rejects the anon and service_role API keys).')
param requireAuthenticatedRole bool = true

@description('Base64 key of at least 32 bytes that signs list cursors; the same for every instance.')
@secure()
param cursorSigningKey string

@description('Browser origins of the HUDs allowed to call the API.')
param allowedOrigins array = []

@description('When MissionsTick runs (NCRONTAB with seconds, UTC); the [TimerTrigger] reads it as %Missions:TickSchedule%.')
param missionsTickSchedule string = '0 * * * * *'

@description('Base64 key of at least 32 bytes that names erasure receipts (a keyed hash of the user); keep it for as long as receipts are kept.')
@secure()
param lifecycleReceiptKey string

@description('When RetentionSweep runs (NCRONTAB with seconds, UTC); the [TimerTrigger] reads it as %Lifecycle:RetentionSchedule%.')
param lifecycleRetentionSchedule string = '0 */15 * * * *'

@description('When OrphanSweep runs (NCRONTAB with seconds, UTC); the [TimerTrigger] reads it as %Lifecycle:OrphanSweepSchedule%.')
param lifecycleOrphanSweepSchedule string = '0 30 3 * * *'

@description('When LifecycleJobs runs (NCRONTAB with seconds, UTC); the [TimerTrigger] reads it as %Lifecycle:JobsSchedule%.')
param lifecycleJobsSchedule string = '30 * * * * *'

@description('Most instances Flex Consumption may scale out to.')
param maximumInstanceCount int = 40

@description('Memory per instance in MB (2048 or 4096).')
@allowed([2048, 4096])
param instanceMemoryMB int = 2048

var suffix = uniqueString(resourceGroup().id, appName)
var storageName = toLower(take('${appName}${suffix}', 24))
var deploymentContainer = 'deployments'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${appName}-id'
  location: location
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deployments 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainer
}

// Data-plane roles for the app's identity: blobs (payloads, the deployment package, and the host's
// timer leases and schedule status), tables (user data), queues (used by the Functions host itself).
var roles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
}

resource roleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in items(roles): {
  name: guid(storage.id, identity.id, role.value)
  scope: storage
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
  }
}]

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${appName}-logs'
  location: location
  properties: { retentionInDays: 30, sku: { name: 'PerGB2018' } }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${appName}-insights'
  location: location
  kind: 'web'
  properties: { Application_Type: 'web', WorkspaceResourceId: logs.id, DisableLocalAuth: true }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${appName}-plan'
  location: location
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identity.id }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: maximumInstanceCount, instanceMemoryMB: instanceMemoryMB }
      runtime: { name: 'dotnet-isolated', version: '10.0' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      // Preflights never reach a function: the platform answers them from this list, the same one the app
      // gets as Api__AllowedOrigins__* (and adds Access-Control-Expose-Headers with to its real answers).
      cors: { allowedOrigins: allowedOrigins }
      appSettings: concat([
        // The host's own storage, by identity.
        { name: 'AzureWebJobsStorage__accountName', value: storage.name }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identity.properties.clientId};Authorization=AAD' }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
        // The app's storage: service URIs with the user-assigned identity (Entra ID, no key).
        { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
        { name: 'Storage__TableServiceUri', value: storage.properties.primaryEndpoints.table }
        { name: 'Storage__BlobServiceUri', value: storage.properties.primaryEndpoints.blob }
        { name: 'Storage__ClientId', value: identity.properties.clientId }
        { name: 'Auth__Issuer', value: authIssuer }
        { name: 'Auth__Audience', value: authAudience }
        { name: 'Auth__JwksUri', value: authJwksUri }
        { name: 'Auth__Authority', value: authAuthority }
        { name: 'Auth__HmacSecret', value: authHmacSecret }
        { name: 'Auth__RequireAuthenticatedRole', value: string(requireAuthenticatedRole) }
        { name: 'Api__CursorSigningKey', value: cursorSigningKey }
        { name: 'Missions__TickSchedule', value: missionsTickSchedule }
        // The host refuses bodies over 100 MB unless told otherwise; artifacts go up to Artifacts:MaxUploadBytes (256 MiB).
        { name: 'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT', value: '268435456' }
        { name: 'Lifecycle__ReceiptKey', value: lifecycleReceiptKey }
        { name: 'Lifecycle__RetentionSchedule', value: lifecycleRetentionSchedule }
        { name: 'Lifecycle__OrphanSweepSchedule', value: lifecycleOrphanSweepSchedule }
        { name: 'Lifecycle__JobsSchedule', value: lifecycleJobsSchedule }
      ], [for (origin, i) in allowedOrigins: { name: 'Api__AllowedOrigins__${i}', value: origin }])
    }
  }
  dependsOn: [roleAssignments]
}

output functionAppName string = app.name
output apiBaseUrl string = 'https://${app.properties.defaultHostName}/api/v1'
output storageAccountName string = storage.name
