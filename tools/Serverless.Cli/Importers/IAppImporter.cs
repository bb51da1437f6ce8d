namespace Serverless.Cli.Importers;

/// <summary>Converts one app's existing data into a bundle (README, "Importers": what maps onto what).</summary>
public interface IAppImporter
{
    /// <summary>The manifest's <c>source.app</c>: <c>sidepanel</c>, <c>nova-hud</c>, <c>nofx</c>, <c>halo</c>.</summary>
    string App { get; }

    /// <summary>Reads the app's data and writes every kind it maps onto into <paramref name="bundle"/>.</summary>
    Task WriteAsync(BundleBuilder bundle, CancellationToken cancellationToken);
}
