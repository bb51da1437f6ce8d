using System.Text.Json;
using Microsoft.Extensions.Options;
using Serverless.Bundles;
using Serverless.Functions.Missions;
using Serverless.Storage.Missions;
using Serverless.Storage.Users;

namespace Serverless.Functions.Portability.Kinds;

/// <summary>
/// Missions in bundles: the definition and times, never the signing secret (an import issues a new one and says so in
/// the report). The shape is checked in validation; the schedule and target are checked against this deployment's
/// rules when written, and a mission refused there is reported as failed.
/// </summary>
public sealed class MissionPort(
    MissionStore missions, MissionFiring firing, MissionSecretProtector secrets, IOptions<MissionOptions> options, TimeProvider time) : IBundleKindPort
{
    /// <inheritdoc />
    public string Kind => BundleKinds.Mission;

    /// <inheritdoc />
    public async Task ExportAsync(KindExport destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        string? after = null;
        do
        {
            var (items, next) = await missions.ListAsync(destination.User.Key, 1000, after, cancellationToken).ConfigureAwait(false);
            foreach (var m in items)
            {
                await destination.Lines.WriteAsync(PortableLines.Mission(m), cancellationToken).ConfigureAwait(false);
            }

            after = next;
        }
        while (after is not null);
    }

    /// <inheritdoc />
    public async Task ValidateAsync(KindValidation bundle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var raw in bundle.Reader.ReadLinesAsync(Kind, cancellationToken).ConfigureAwait(false))
        {
            var line = BundleReader.Parse<MissionLine>(Kind, raw);
            if (!MissionEndpoints.ValidId(line.Id) || !seen.Add(line.Id))
            {
                throw KindValidation.Invalid(Kind, raw.Number, new Dictionary<string, string[]> { ["id"] = ["id must be 1 to 64 of A-Z a-z 0-9 _ -, once."] });
            }
        }
    }

    /// <inheritdoc />
    public async Task ImportAsync(KindImport source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var o = options.Value;
        var user = source.User;
        await foreach (var raw in source.Reader.ReadLinesAsync(Kind, cancellationToken).ConfigureAwait(false))
        {
            var line = BundleReader.Parse<MissionLine>(Kind, raw);
            line = line with { UpdatedAt = line.UpdatedAt ?? line.CreatedAt, Headers = line.Headers ?? [] };
            source.Progress(Kind, raw.Number);
            var now = time.GetUtcNow();
            var write = new MissionWrite
            {
                Name = line.Name, Cron = line.Cron, IntervalSeconds = line.IntervalSeconds, TimeZone = line.TimeZone, Enabled = line.Enabled,
                StartAt = line.StartAt, EndAt = line.EndAt, MissedRunPolicy = line.MissedRunPolicy, MaxCatchUp = line.MaxCatchUp, Url = line.Url,
                Headers = line.Headers, Payload = line.Payload ?? default,
            };
            if (MissionValidator.Validate(write, o, line.CreatedAt, now, out var errors) is not { } definition)
            {
                source.Report.Failed(Kind, line.Id, string.Join(" ", errors.SelectMany(e => e.Value)));
                continue;
            }

            var id = line.Id;
            var existing = await missions.GetAsync(user.Key, id, cancellationToken).ConfigureAwait(false);
            if (existing is not null && (PortableLines.Same(PortableLines.Mission(existing), line) || source.Conflict == "skip"))
            {
                source.Report.Skipped(Kind);
                continue;
            }

            if (existing is not null && source.Conflict == "keepBoth")
            {
                id = PortableLines.KeepBothId(id, BundleFormat.Sha256Hex(JsonSerializer.SerializeToUtf8Bytes(line with { Id = string.Empty }, BundleManifest.JsonOptions)));
                if (await missions.GetAsync(user.Key, id, cancellationToken).ConfigureAwait(false) is not null)
                {
                    source.Report.Skipped(Kind);
                    continue;
                }

                existing = null;
            }

            var nextRunAt = definition.Schedule(line.CreatedAt).NextAfter(now);
            if (existing is not null)
            {
                var state = existing.State with { Enabled = line.Enabled, UpdatedAt = line.UpdatedAt!.Value, NextRunAt = nextRunAt, DueAt = line.Enabled ? nextRunAt : null, PausedReason = null };
                await IndexAsync(user, id, state, cancellationToken).ConfigureAwait(false);
                await missions.ReplaceAsync(user.Key, id, definition.ToJson(), state, existing.ETag, cancellationToken).ConfigureAwait(false);
                source.Report.Imported(Kind);
                continue;
            }

            if (await missions.CountAsync(user.Key, o.MaxMissionsPerUser, cancellationToken).ConfigureAwait(false) >= o.MaxMissionsPerUser)
            {
                source.Report.Failed(Kind, line.Id, $"the mission quota ({o.MaxMissionsPerUser}) is reached.");
                continue;
            }

            var created = new MissionState
            {
                Enabled = line.Enabled,
                CreatedAt = line.CreatedAt,
                UpdatedAt = line.UpdatedAt!.Value,
                NextRunAt = nextRunAt,
                DueAt = line.Enabled ? nextRunAt : null,
                SecretCipher = secrets.Protect(WebhookSignature.NewSecret(), user.Key, id),
            };
            await IndexAsync(user, id, created, cancellationToken).ConfigureAwait(false);
            await missions.InsertAsync(user.Key, id, definition.ToJson(), created, null, cancellationToken).ConfigureAwait(false);
            source.Report.Imported(Kind);
            source.Report.Note(Kind, line.Id,
                (id == line.Id ? string.Empty : $"imported as {id}. ") + $"Bundles carry no signing secret: it has a new one; POST /api/v1/missions/{id}/rotate-secret shows one to give its receiver.");
        }
    }

    private Task IndexAsync(UserPartition user, string id, MissionState state, CancellationToken cancellationToken) =>
        state.DueAt is { } dueAt ? firing.IndexAsync(user.Key, id, dueAt, cancellationToken) : Task.CompletedTask;
}
