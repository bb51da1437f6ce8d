using System.Collections;
using System.Reflection;
using System.Text.Json;
using Serverless.Functions.AgentState;
using Serverless.Functions.Api;
using Serverless.Functions.Artifacts;
using Serverless.Functions.Autosave;
using Serverless.Functions.Conversations;
using Serverless.Functions.Identity;
using Serverless.Functions.Missions;
using Serverless.Functions.Storage;
using Serverless.Functions.Timers;
using Serverless.Storage.Lifecycle;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>local.settings.sample.json documents every setting the app binds, in the Functions local-settings format.</summary>
public sealed class SettingsDocumentationTests
{
    /// <summary>Every options class the app binds, with its configuration section.</summary>
    public static TheoryData<string, Type> OptionSections => new()
    {
        { StorageOptions.Section, typeof(StorageOptions) },
        { AuthOptions.Section, typeof(AuthOptions) },
        { ApiOptions.Section, typeof(ApiOptions) },
        { ConversationOptions.Section, typeof(ConversationOptions) },
        { MissionOptions.Section, typeof(MissionOptions) },
        { LifecycleOptions.Section, typeof(LifecycleOptions) },
        { Serverless.Functions.Portability.PortabilityOptions.Section, typeof(Serverless.Functions.Portability.PortabilityOptions) },
        { ArtifactOptions.Section, typeof(ArtifactOptions) },
        { AutosaveOptions.Section, typeof(AutosaveOptions) },
        { RecordOptions.Section, typeof(RecordOptions) },
    };

    [Theory]
    [MemberData(nameof(OptionSections))]
    public void SampleSettings_NameEverySettingOfTheSection(string section, Type options)
    {
        var values = Sample().GetProperty("Values").EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);

        // Arrays and dictionaries are documented by at least one element (Name__0, Name__someKey).
        var missing = SettingKeys(section, options)
            .Where(key => !values.Contains(key) && !values.Any(v => v.StartsWith(key + "__", StringComparison.OrdinalIgnoreCase)))
            .ToList();

        Assert.True(missing.Count == 0, "local.settings.sample.json lacks: " + string.Join(", ", missing));
    }

    [Fact]
    public void SampleSettings_HaveTheFunctionsShape()
    {
        var sample = Sample();

        Assert.False(sample.GetProperty("IsEncrypted").GetBoolean());
        Assert.Equal("dotnet-isolated", sample.GetProperty("Values").GetProperty("FUNCTIONS_WORKER_RUNTIME").GetString());
        Assert.False(string.IsNullOrWhiteSpace(sample.GetProperty("Values").GetProperty("AzureWebJobsStorage").GetString()));
        Assert.Equal(7071, sample.GetProperty("Host").GetProperty("LocalHttpPort").GetInt32());
    }

    [Fact]
    public void TimerScheduleSettings_AreAppSettings_WithTheValueTheLocalServerUses()
    {
        // The host resolves %Setting% in a [TimerTrigger] from its app settings (local.settings.json, infra);
        // the local server from its configuration (appsettings.json). Both must know it, with one value.
        var values = Sample().GetProperty("Values");
        var appSettings = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Combine("src", "Functions", "appsettings.json"))).RootElement;
        var bicep = File.ReadAllText(RepositoryPaths.Combine("infra", "main.bicep"));
        var references = FunctionCatalogTests.BuiltFunctions()
            .Select(f => f.GetProperty("bindings")[0])
            .Where(b => b.GetProperty("type").GetString() == "timerTrigger")
            .SelectMany(b => System.Text.RegularExpressions.Regex.Matches(b.GetProperty("schedule").GetString()!, "%([^%]+)%").Select(m => m.Groups[1].Value))
            .ToList();

        Assert.NotEmpty(references);
        foreach (var setting in references)
        {
            var appSetting = setting.Replace(":", "__", StringComparison.Ordinal);
            var local = setting.Split(':').Aggregate(appSettings, (element, part) => element.GetProperty(part)).GetString();
            Assert.Equal(local, values.GetProperty(appSetting).GetString());
            Assert.Contains($"name: '{appSetting}'", bicep, StringComparison.Ordinal);
        }
    }

    private static JsonElement Sample() =>
        JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Combine("local.settings.sample.json")), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip }).RootElement;

    /// <summary>The environment-variable names (Section__Property__Nested) of every settable property.</summary>
    private static IEnumerable<string> SettingKeys(string prefix, Type type)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var key = $"{prefix}__{property.Name}";
            var propertyType = property.PropertyType;
            if (propertyType.IsClass && propertyType != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(propertyType))
            {
                foreach (var nested in SettingKeys(key, propertyType))
                {
                    yield return nested;
                }
            }
            else
            {
                yield return key;
            }
        }
    }
}
