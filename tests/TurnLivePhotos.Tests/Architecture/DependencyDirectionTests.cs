using System.Xml.Linq;
using TurnLivePhotos.Tests.Configuration;

namespace TurnLivePhotos.Tests.Architecture;

/// <summary>References point one way: CLI → Server → Core → (Engine, Media, Hub); the benchmarks sit beside the CLI.</summary>
public sealed class DependencyDirectionTests
{
    /// <summary>Every project reference each project may have; a project not listed here may reference nothing of ours.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["TurnLivePhotos"] = ["TurnLivePhotos.Core", "TurnLivePhotos.Server", "TurnLivePhotos.Bench"],
        ["TurnLivePhotos.Bench"] = ["TurnLivePhotos.Server", "TurnLivePhotos.Engine", "TurnLivePhotos.Media", "TurnLivePhotos.Hub"],
        ["TurnLivePhotos.Server"] = ["TurnLivePhotos.Core"],
        ["TurnLivePhotos.Core"] = ["TurnLivePhotos.Engine", "TurnLivePhotos.Media", "TurnLivePhotos.Hub"],
        ["TurnLivePhotos.Engine"] = ["TurnLivePhotos.Media"],
    };

    public static TheoryData<string> Projects => new(Directory.GetDirectories(Path.Combine(SettingsTests.RepositoryRoot(), "src")).Select(Path.GetFileName).OfType<string>());

    [Theory]
    [MemberData(nameof(Projects))]
    public void A_project_references_only_the_layers_below_it(string project)
    {
        var allowed = Allowed.GetValueOrDefault(project, []);
        foreach (var reference in ProjectFile(project).Descendants("ProjectReference").Select(element => Path.GetFileNameWithoutExtension(((string)element.Attribute("Include")!).Replace('\\', '/'))))
        {
            Assert.True(allowed.Contains(reference), $"{project} references {reference}; allowed: {string.Join(", ", allowed)}");
        }
    }

    [Theory]
    [InlineData("TurnLivePhotos.Core")]
    [InlineData("TurnLivePhotos.Engine")]
    [InlineData("TurnLivePhotos.Media")]
    [InlineData("TurnLivePhotos.Hub")]
    public void Below_the_server_no_project_takes_the_web_framework(string project)
    {
        Assert.Empty(ProjectFile(project).Descendants("FrameworkReference"));
    }

    [Fact]
    public void The_engine_assembly_uses_no_hub_and_the_product_no_benchmark()
    {
        Assert.DoesNotContain(typeof(TurnLivePhotos.Engine.EngineKind).Assembly.GetReferencedAssemblies(), name => name.Name == "TurnLivePhotos.Hub");
        foreach (var product in new[] { typeof(TurnLivePhotos.Server.ServerHost), typeof(TurnLivePhotos.Core.Conversion.PhotoConverter), typeof(TurnLivePhotos.Engine.EngineKind) })
        {
            Assert.DoesNotContain(product.Assembly.GetReferencedAssemblies(), name => name.Name == "TurnLivePhotos.Bench");
        }
    }

    private static XDocument ProjectFile(string project) =>
        XDocument.Load(Path.Combine(SettingsTests.RepositoryRoot(), "src", project, project + ".csproj"));
}
