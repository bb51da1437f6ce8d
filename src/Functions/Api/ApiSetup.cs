using Microsoft.AspNetCore.Http.Json;
using Serverless.Functions.Api.OpenApi;

namespace Serverless.Functions.Api;

/// <summary>The API conventions shared by every operation, under both hosts: JSON, problems, limits, CORS, rate limiting, the request pipeline.</summary>
public static class ApiSetup
{
    /// <summary>Registers the conventions' services.</summary>
    public static IServiceCollection AddApiConventions(this IServiceCollection services)
    {
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section);
        services.AddSingleton<CursorProtector>();
        services.AddSingleton<IdempotencyKeys>();
        services.AddProblemMapping();
        services.Configure<JsonOptions>(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase;
            json.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never;
            json.SerializerOptions.Converters.Add(new UtcDateTimeOffsetConverter());
        });
        services.AddCors();
        services.AddSingleton<ApiCors>();
        services.AddSingleton<ApiRateLimiter>();
        services.AddSingleton<ApiPipeline>();
        return services;
    }

    /// <summary>The OpenAPI document generator, with our transformers, for an app that maps the local routes.</summary>
    public static IServiceCollection AddApiDocument(this IServiceCollection services) =>
        services.AddOpenApi(OpenApiDocumentSource.DocumentName, options =>
        {
            options.AddDocumentTransformer<ApiDocumentTransformer>();
            options.AddOperationTransformer<ApiOperationTransformer>();
            options.AddSchemaTransformer<ApiSchemaTransformer>();
        });
}
