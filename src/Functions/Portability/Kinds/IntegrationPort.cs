using System.Text.Json;
using Serverless.Bundles;
using Serverless.Functions.AgentState;
using Serverless.Functions.Integrations;
using Serverless.Storage.Integrations;
using Serverless.Storage.Users;

namespace Serverless.Functions.Portability.Kinds;

/// <summary>
/// Integrations in bundles: one line per integration, its secrets only under a key the user supplies. An export given a
/// <c>secretsPassphrase</c> seals each secret under it (<see cref="SecretSealing"/>); without one (or for a secret that no
/// longer decrypts) secrets are left out and the job counts them. An import opens sealed secrets with the job's
/// <c>Secrets-Passphrase</c> and takes plain ones (the command-line importers') as they are, storing each as a PUT
/// does (encrypted with the server's key); a secret it cannot open is left out and the integration imported without it,
/// with a note naming it. The provider is the id: <c>keepBoth</c> has no second id to give, so it keeps the one there.
/// </summary>
public sealed class IntegrationPort(IntegrationStore integrations, IntegrationSecrets secrets, PortabilityPassphrases passphrases, TimeProvider time) : IBundleKindPort
{
    /// <inheritdoc />
    public string Kind => BundleKinds.Integration;

    /// <inheritdoc />
    public async Task ExportAsync(KindExport destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var user = destination.User;
        var sealing = passphrases.Reveal(user, destination.Job) is { } passphrase ? new SecretSealing(passphrase) : null;
        string? after = null;
        do
        {
            var (items, next) = await integrations.ListAsync(user, 100, after, cancellationToken).ConfigureAwait(false);
            foreach (var integration in items)
            {
                SortedDictionary<string, IntegrationSecretLine>? sealedSecrets = null;
                foreach (var (name, secret) in integration.Secrets)
                {
                    if (sealing is not null && secrets.Reveal(user, integration.Provider, name, secret) is { } value)
                    {
                        (sealedSecrets ??= new(StringComparer.Ordinal))[name] = new IntegrationSecretLine(null, sealing.Seal(value, integration.Provider, name), secret.SetAt);
                    }
                    else
                    {
                        destination.LeaveOutSecrets(1);
                    }
                }

                await destination.Lines.WriteAsync(
                    new IntegrationLine(integration.Provider, AgentValidation.Element(integration.ConfigJson), sealedSecrets, integration.CreatedAt, integration.UpdatedAt),
                    cancellationToken).ConfigureAwait(false);
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
            var line = BundleReader.Parse<IntegrationLine>(Kind, raw);
            var errors = new Dictionary<string, string[]>();
            if (!SecretReferences.IsProvider(line.Provider) || !seen.Add(line.Provider))
            {
                errors["provider"] = ["provider must be 1 to 64 of a-z 0-9 . _ - starting with a letter or digit, once each."];
            }

            IntegrationEndpoints.Config(errors, line.Config ?? default);
            if (line.Secrets?.Count > IntegrationStore.MaxSecrets)
            {
                errors["secrets"] = [$"An integration holds at most {IntegrationStore.MaxSecrets} secrets."];
            }

            foreach (var (name, secret) in line.Secrets ?? new Dictionary<string, IntegrationSecretLine>())
            {
                IntegrationEndpoints.Secret(errors, name, secret.Value);
                if (secret.Value is null && !SecretSealing.IsSealed(secret.Sealed))
                {
                    errors[$"secrets.{name}"] = [$"A sealed secret has the form {SecretSealing.Prefix}{{iterations}}:{{salt}}:{{nonce}}:{{tag}}:{{ciphertext}} (docs/bundle-format.md)."];
                }
            }

            if (errors.Count > 0)
            {
                throw KindValidation.Invalid(Kind, raw.Number, errors);
            }
        }
    }

    /// <inheritdoc />
    public async Task ImportAsync(KindImport source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var user = source.User;
        var sealing = passphrases.Reveal(user, source.Job) is { } passphrase ? new SecretSealing(passphrase) : null;
        await foreach (var raw in source.Reader.ReadLinesAsync(Kind, cancellationToken).ConfigureAwait(false))
        {
            var line = BundleReader.Parse<IntegrationLine>(Kind, raw);
            source.Progress(Kind, raw.Number);
            var provider = line.Provider;
            var now = time.GetUtcNow();
            var opened = new SortedDictionary<string, (string Value, DateTimeOffset? SetAt)>(StringComparer.Ordinal);
            var unopened = new List<string>();
            foreach (var (name, secret) in line.Secrets ?? new Dictionary<string, IntegrationSecretLine>())
            {
                if (secret.Value is { } plain)
                {
                    opened[name] = (plain, null);
                }
                else if (sealing is not null && sealing.TryOpen(secret.Sealed!, provider, name, out var value))
                {
                    opened[name] = (value, secret.SetAt);
                }
                else
                {
                    unopened.Add(name);
                }
            }

            var config = line.Config is { ValueKind: JsonValueKind.Object } c ? JsonSerializer.Serialize(c) : "{}";
            var existing = await integrations.GetAsync(user, provider, cancellationToken).ConfigureAwait(false);
            var createdAt = line.CreatedAt ?? existing?.CreatedAt ?? now;
            var updatedAt = line.UpdatedAt ?? createdAt;
            if (existing is not null)
            {
                var equal = Same(user, existing, config, createdAt, updatedAt, opened, unopened);
                if (equal || source.Conflict != "overwrite")
                {
                    source.Report.Skipped(Kind);
                    if (!equal && source.Conflict == "keepBoth")
                    {
                        source.Report.Note(Kind, provider, "kept the integration there: a provider is the integration's id, so there is no second one to import it under.");
                    }

                    continue;
                }
            }

            var stored = opened.ToDictionary(
                s => s.Key, s => secrets.Protect(user, provider, s.Key, s.Value.Value) is var protectedSecret && s.Value.SetAt is { } setAt ? protectedSecret with { SetAt = setAt } : protectedSecret,
                StringComparer.Ordinal);
            await integrations.PutAsync(user, new IntegrationRecord(provider, config, stored, createdAt, updatedAt), null, createOnly: false, cancellationToken).ConfigureAwait(false);
            source.Report.Imported(Kind);
            if (unopened.Count > 0)
            {
                source.Report.Note(Kind, provider, $"imported without secret(s) {string.Join(", ", unopened)}: "
                    + (sealing is null ? $"they are sealed and no {PortabilityPassphrases.Header} was given." : $"the {PortabilityPassphrases.Header} given does not open them.")
                    + $" Set them again: PUT /api/v1/integrations/{provider}.");
            }
        }
    }

    /// <summary>
    /// Whether the stored integration equals the bundle's as far as it can be compared: configuration, times, the same
    /// secret names, and each opened secret's value (and time set, when the bundle has it); a secret the bundle could
    /// not open counts as equal when one of its name is there.
    /// </summary>
    private bool Same(UserPartition user, IntegrationRecord existing, string config, DateTimeOffset createdAt, DateTimeOffset updatedAt,
        SortedDictionary<string, (string Value, DateTimeOffset? SetAt)> opened, List<string> unopened) =>
        existing.ConfigJson == config && existing.CreatedAt == createdAt && existing.UpdatedAt == updatedAt
        && existing.Secrets.Keys.Order(StringComparer.Ordinal).SequenceEqual(opened.Keys.Concat(unopened).Order(StringComparer.Ordinal))
        && opened.All(s => existing.Secrets[s.Key] is var stored && (s.Value.SetAt is null || s.Value.SetAt == stored.SetAt)
            && secrets.Reveal(user, existing.Provider, s.Key, stored) == s.Value.Value);
}
