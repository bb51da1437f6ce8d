using System.Text.Json;
using Serverless.Bundles;
using Serverless.Functions.Settings;
using Serverless.Storage.Users;

namespace Serverless.Functions.Portability.Kinds;

/// <summary>Settings in bundles: one line per setting. They have no id to give a copy, so <c>keepBoth</c> keeps the one there, as <c>skip</c> does.</summary>
public sealed class SettingPort(SettingsStore settings) : IBundleKindPort
{
    /// <inheritdoc />
    public string Kind => BundleKinds.Setting;

    /// <inheritdoc />
    public async Task ExportAsync(KindExport destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        await foreach (var s in settings.ScanAsync(destination.User, cancellationToken).ConfigureAwait(false))
        {
            await destination.Lines.WriteAsync(PortableLines.Setting(s), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task ValidateAsync(KindValidation bundle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var seen = new HashSet<(string, string)>();
        await foreach (var raw in bundle.Reader.ReadLinesAsync(Kind, cancellationToken).ConfigureAwait(false))
        {
            var line = BundleReader.Parse<SettingLine>(Kind, raw);
            if (!SettingsEndpoints.IsName(line.Namespace) || !SettingsEndpoints.IsName(line.Key) || !seen.Add((line.Namespace, line.Key))
                || line.Value.ValueKind == JsonValueKind.Undefined || JsonSerializer.SerializeToUtf8Bytes(line.Value).Length > SettingsEndpoints.MaxValueBytes)
            {
                throw KindValidation.Invalid(Kind, raw.Number, new Dictionary<string, string[]>
                {
                    ["setting"] = [$"namespace and key must be 1 to 100 of letters, digits, '.', '_', '-', ':', once each; value any JSON of at most {SettingsEndpoints.MaxValueBytes} bytes."],
                });
            }
        }
    }

    /// <inheritdoc />
    public async Task ImportAsync(KindImport source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        await foreach (var raw in source.Reader.ReadLinesAsync(Kind, cancellationToken).ConfigureAwait(false))
        {
            var line = BundleReader.Parse<SettingLine>(Kind, raw);
            var existing = await settings.GetAsync(source.User, line.Namespace, line.Key, cancellationToken).ConfigureAwait(false);
            var equal = existing is not null && PortableLines.Same(PortableLines.Setting(existing), line);
            if (existing is null || (!equal && source.Conflict == "overwrite"))
            {
                await settings.ImportAsync(source.User, new SettingRecord(line.Namespace, line.Key, JsonSerializer.Serialize(line.Value), line.UpdatedAt, default), cancellationToken).ConfigureAwait(false);
                source.Report.Imported(Kind);
            }
            else
            {
                source.Report.Skipped(Kind);
            }

            source.Progress(Kind, raw.Number);
        }
    }
}
