using System.Collections.Immutable;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Serverless.Testing;

/// <summary>
/// A <see cref="FunctionContext"/> built by a test, as input to worker middleware: the function's
/// name and trigger, its services and the request's <see cref="HttpContext"/> where the worker's HTTP
/// integration puts it (<c>Items["HttpRequestContext"]</c>, read by <c>GetHttpContext()</c>).
/// Not a host: nothing here invokes anything.
/// </summary>
public sealed class TestFunctionContext : FunctionContext
{
    /// <summary>The key under which the worker's ASP.NET Core integration stores the request.</summary>
    public const string HttpContextKey = "HttpRequestContext";

    public TestFunctionContext(string functionName, string triggerType, IServiceProvider services, HttpContext? http = null)
    {
        FunctionDefinition = new Definition(functionName, triggerType);
        InstanceServices = services;
        if (http is not null)
        {
            Items[HttpContextKey] = http;
        }
    }

    public override string InvocationId { get; } = Guid.NewGuid().ToString();

    public override string FunctionId => FunctionDefinition.Id;

    public override TraceContext TraceContext => throw new NotSupportedException();

    public override BindingContext BindingContext => throw new NotSupportedException();

    public override RetryContext RetryContext => throw new NotSupportedException();

    public override IServiceProvider InstanceServices { get; set; }

    public override FunctionDefinition FunctionDefinition { get; }

    public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();

    public override IInvocationFeatures Features => throw new NotSupportedException();

    private sealed class Definition(string name, string triggerType) : FunctionDefinition
    {
        public override ImmutableArray<FunctionParameter> Parameters => [];

        public override string PathToAssembly => typeof(TestFunctionContext).Assembly.Location;

        public override string EntryPoint => name;

        public override string Id => name;

        public override string Name => name;

        public override IImmutableDictionary<string, BindingMetadata> InputBindings { get; } =
            ImmutableDictionary<string, BindingMetadata>.Empty.Add("trigger", new Binding("trigger", triggerType, BindingDirection.In));

        public override IImmutableDictionary<string, BindingMetadata> OutputBindings => ImmutableDictionary<string, BindingMetadata>.Empty;
    }

    private sealed class Binding(string name, string type, BindingDirection direction) : BindingMetadata
    {
        public override string Name => name;

        public override string Type => type;

        public override BindingDirection Direction => direction;
    }
}
