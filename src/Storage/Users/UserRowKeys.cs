using Serverless.Storage.Tables;

namespace Serverless.Storage.Users;

/// <summary>
/// The one place that knows the RowKey scheme of the user table: every kind of user row lives in
/// the user's partition, told apart by a prefix, so each kind is a prefix scan and one entity
/// group transaction can touch several kinds at once.
/// </summary>
/// <remarks>WARNING: these prefixes are the stored layout. Changing one orphans existing rows.</remarks>
public static class UserRowKeys
{
    /// <summary>Prefix of setting rows: <c>setting|{namespace}|{key}</c>.</summary>
    public const string Setting = "setting";

    /// <summary>Prefix of idempotency records: <c>idem|{operation}|{key}</c>.</summary>
    public const string Idempotency = "idem";

    /// <summary>The row of one setting.</summary>
    public static string ForSetting(string settingNamespace, string key) => KeyEncoding.Compose(Setting, settingNamespace, key);

    /// <summary>The prefix shared by every setting of a namespace (ends with the separator, so "ab" never matches "abc").</summary>
    public static string SettingsOf(string settingNamespace) => KeyEncoding.Compose(Setting, settingNamespace, string.Empty);

    /// <summary>The idempotency record of a key used on an operation.</summary>
    public static string ForIdempotencyKey(string operation, string key) => KeyEncoding.Compose(Idempotency, operation, key);
}
