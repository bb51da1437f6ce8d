using Azure.Data.Tables;
using Azure.Storage.Blobs;

namespace Serverless.Storage.Lifecycle;

/// <summary>The tables and the container the lifecycle reads and writes.</summary>
/// <param name="Users">Every user's rows (<c>Storage:UserTable</c>).</param>
/// <param name="Expiry">The expiry index (<c>Storage:ExpiryTable</c>).</param>
/// <param name="Jobs">Lifecycle jobs across users: erasure jobs and receipts, the orphan sweep's position (<c>Storage:LifecycleTable</c>).</param>
/// <param name="MissionDue">The due-mission index (<c>Storage:DueTable</c>), which erasure clears of the user.</param>
/// <param name="Payloads">The payload container (<c>Storage:PayloadContainer</c>).</param>
public sealed record LifecycleStorage(TableClient Users, TableClient Expiry, TableClient Jobs, TableClient MissionDue, BlobContainerClient Payloads);
