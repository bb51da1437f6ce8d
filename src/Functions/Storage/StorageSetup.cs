using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using Serverless.Functions.Autosave;
using Serverless.Functions.Conversations;
using Serverless.Storage;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Payloads;
using Serverless.Storage.Users;

namespace Serverless.Functions.Storage;

/// <summary>Registers the storage clients and stores, and creates tables and containers at startup.</summary>
public static class StorageSetup
{
    /// <summary>Adds the storage services.</summary>
    public static IServiceCollection AddAppStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section);
        services.AddOptions<LifecycleOptions>().BindConfiguration(LifecycleOptions.Section)
            .Validate(o => o.OrphanGrace >= TimeSpan.Zero && o.DeletedMissionRetention >= TimeSpan.Zero, "Lifecycle:OrphanGrace and Lifecycle:DeletedMissionRetention must not be negative.")
            .ValidateOnStart();
        services.TryAddSingletonTimeProvider();
        services.AddSingleton(provider => Connect(
            provider.GetRequiredService<IOptions<StorageOptions>>().Value,
            configuration["AzureWebJobsStorage"],
            provider.GetRequiredService<IHostEnvironment>()));
        services.AddSingleton(provider =>
        {
            var (account, names) = Parts(provider);
            return new AppTables(
                account.Tables.GetTableClient(names.UserTable),
                account.Tables.GetTableClient(names.DueTable),
                account.Tables.GetTableClient(names.ExpiryTable),
                account.Tables.GetTableClient(names.LifecycleTable));
        });
        services.AddSingleton(provider =>
        {
            var (account, names) = Parts(provider);
            return new AppContainers(account.Blobs.GetBlobContainerClient(names.PayloadContainer));
        });
        services.AddSingleton(provider => new PayloadStore(provider.GetRequiredService<AppContainers>().Payloads));
        services.AddSingleton(provider => new SettingsStore(provider.GetRequiredService<AppTables>().Users));
        services.AddSingleton(provider => new ExpiryIndex(
            provider.GetRequiredService<AppTables>().Expiry,
            provider.GetRequiredService<SettingsStore>(),
            RetentionPolicy.Of(
                provider.GetRequiredService<IOptions<ConversationOptions>>().Value.RestoreWindow,
                provider.GetRequiredService<IOptions<LifecycleOptions>>().Value.DeletedMissionRetention,
                provider.GetRequiredService<IOptions<AutosaveOptions>>().Value.Expiry),
            provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(provider => new IdempotencyStore(provider.GetRequiredService<AppTables>().Users, provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ExpiryIndex>()));
        services.AddSingleton<StorageReadiness>();
        services.AddSingleton<StorageProbe>();
        services.AddHostedService<StorageBootstrap>();
        return services;
    }

    /// <summary>
    /// The one place that decides how the app reaches storage: <see cref="StorageOptions.ConnectionString"/>; else
    /// the two service URIs with Entra ID (the user-assigned identity <see cref="StorageOptions.ClientId"/>, or
    /// <see cref="DefaultAzureCredential"/>'s choice); else <c>AzureWebJobsStorage</c>; else, in Development, Azurite.
    /// </summary>
    internal static StorageAccount Connect(StorageOptions options, string? webJobsStorage, IHostEnvironment environment)
    {
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return StorageAccount.FromConnectionString(options.ConnectionString);
        }

        var tableUri = ServiceUri(options.TableServiceUri, nameof(options.TableServiceUri));
        var blobUri = ServiceUri(options.BlobServiceUri, nameof(options.BlobServiceUri));
        if (tableUri is not null && blobUri is not null)
        {
            var credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions
            {
                ManagedIdentityClientId = string.IsNullOrWhiteSpace(options.ClientId) ? null : options.ClientId,
            });
            return StorageAccount.FromServiceUris(tableUri, blobUri, credential);
        }

        if (tableUri is not null || blobUri is not null)
        {
            throw new InvalidOperationException("Set both Storage:TableServiceUri and Storage:BlobServiceUri, or Storage:ConnectionString.");
        }

        if (!string.IsNullOrWhiteSpace(webJobsStorage))
        {
            return StorageAccount.FromConnectionString(webJobsStorage);
        }

        return environment.IsDevelopment()
            ? StorageAccount.FromConnectionString("UseDevelopmentStorage=true")
            : throw new InvalidOperationException("No storage is configured: set Storage:ConnectionString, Storage:TableServiceUri with Storage:BlobServiceUri, or AzureWebJobsStorage.");
    }

    private static Uri? ServiceUri(string? text, string setting) =>
        string.IsNullOrWhiteSpace(text)
            ? null
            : Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
                ? uri
                : throw new InvalidOperationException($"Storage:{setting} must be an absolute http(s) URI, e.g. https://account.table.core.windows.net/.");

    private static (StorageAccount Account, StorageOptions Names) Parts(IServiceProvider provider) =>
        (provider.GetRequiredService<StorageAccount>(), provider.GetRequiredService<IOptions<StorageOptions>>().Value);

    private static void TryAddSingletonTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }
}

/// <summary>The app's tables.</summary>
/// <param name="Users">Every user's rows, partitioned by user.</param>
/// <param name="Due">The due-mission index, across users.</param>
/// <param name="Expiry">The expiry index, across users.</param>
/// <param name="Lifecycle">Lifecycle jobs (erasure receipts, sweep positions), across users.</param>
public sealed record AppTables(TableClient Users, TableClient Due, TableClient Expiry, TableClient Lifecycle);

/// <summary>The app's blob containers.</summary>
/// <param name="Payloads">Large content, under each user's prefix.</param>
public sealed record AppContainers(BlobContainerClient Payloads);
