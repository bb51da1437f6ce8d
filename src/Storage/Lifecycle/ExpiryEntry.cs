namespace Serverless.Storage.Lifecycle;

/// <summary>One row of the expiry index: something of user <see cref="UserKey"/> that <see cref="Rule"/> purges at <see cref="DueAt"/>.</summary>
/// <param name="Bucket">The PartitionKey: the UTC hour (<c>yyyyMMddHH</c>) of the due time, or of when the entry was written if that is later.</param>
/// <param name="RowKey">The RowKey: <c>{userKey}|{rule}|{subject}</c>.</param>
/// <param name="UserKey">The user's encoded partition key.</param>
/// <param name="Rule">The <see cref="RetentionRule.Name"/>.</param>
/// <param name="Subject">What it names: a thread or mission id (<see cref="RetentionScope.Subject"/>), or the hour the rows were written in (<see cref="RetentionScope.Rows"/>).</param>
/// <param name="From">When the retention started (the deletion, or the hour's start); the sweep recomputes the due time from it with the user's current retention.</param>
/// <param name="DueAt">When it is due.</param>
public sealed record ExpiryEntry(string Bucket, string RowKey, string UserKey, string Rule, string Subject, DateTimeOffset From, DateTimeOffset DueAt);
