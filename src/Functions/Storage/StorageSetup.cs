using Microsoft.Extensions.Options;
using Serverless.Storage;
using Serverless.Storage.Blobs;
using Serverless.Storage.Http;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Functions.Storage;

/// <summary>Registers the storage clients and stores, and creates tables and containers at startup.</summary>
public static class StorageSetup
{
    /// <summary>Adds the storage services.</summary>
    public static IServiceCollection AddAppStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section);
        services.TryAddSingletonTimeProvider();
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<StorageOptions>>().Value;
            var environment = provider.GetRequiredService<IHostEnvironment>();
            var connectionString = FirstNonEmpty(options.ConnectionString, configuration["AzureWebJobsStorage"])
                ?? (environment.IsDevelopment()
                    ? "UseDevelopmentStorage=true"
                    : throw new InvalidOperationException("No storage is configured: set Storage:ConnectionString or AzureWebJobsStorage."));
            return StorageConnection.Parse(connectionString);
        });
        services.AddSingleton(new StorageClientOptions());
        services.AddSingleton(provider =>
        {
            var (connection, names, clientOptions) = Parts(provider);
            return new AppTables(
                new TableClient(connection, names.UserTable, clientOptions),
                new TableClient(connection, names.DueTable, clientOptions));
        });
        services.AddSingleton(provider =>
        {
            var (connection, names, clientOptions) = Parts(provider);
            return new AppContainers(new BlobContainerClient(connection, names.PayloadContainer, clientOptions));
        });
        services.AddSingleton(provider => new PayloadStore(provider.GetRequiredService<AppContainers>().Payloads));
        services.AddSingleton(provider => new SettingsStore(provider.GetRequiredService<AppTables>().Users));
        services.AddSingleton(provider => new IdempotencyStore(provider.GetRequiredService<AppTables>().Users, provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<StorageReadiness>();
        services.AddHostedService<StorageBootstrap>();
        return services;
    }

    private static (StorageConnection Connection, StorageOptions Names, StorageClientOptions ClientOptions) Parts(IServiceProvider provider) =>
        (provider.GetRequiredService<StorageConnection>(), provider.GetRequiredService<IOptions<StorageOptions>>().Value, provider.GetRequiredService<StorageClientOptions>());

    private static void TryAddSingletonTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}

/// <summary>The app's tables.</summary>
/// <param name="Users">Every user's rows, partitioned by user.</param>
/// <param name="Due">The due-mission index, across users.</param>
public sealed record AppTables(TableClient Users, TableClient Due);

/// <summary>The app's blob containers.</summary>
/// <param name="Payloads">Large content, under each user's prefix.</param>
public sealed record AppContainers(BlobContainerClient Payloads);
