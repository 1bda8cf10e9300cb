using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace TurnLivePhotos.Tests.Support;

/// <summary>
/// A fact of a shared suite (an abstract test class run once per implementation): it runs, unless the concrete
/// class is marked <see cref="ToolsForEveryFactAttribute"/> and one of those tools is missing — then it is skipped
/// with the reason locally, and required (it runs, and fails without the tool) when CI=true, like
/// <see cref="RequiresToolsFactAttribute"/>.
/// </summary>
[XunitTestCaseDiscoverer("TurnLivePhotos.Tests.Support.SuiteFactDiscoverer", "TurnLivePhotos.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class SuiteFactAttribute : FactAttribute;

/// <summary>The tools every <see cref="SuiteFactAttribute"/> fact of this class needs.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ToolsForEveryFactAttribute(params string[] tools) : Attribute
{
    public IReadOnlyList<string> Tools { get; } = tools;
}

public sealed class SuiteFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    private readonly FactDiscoverer facts = new(diagnosticMessageSink);

    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var tools = (testMethod.TestClass.Class as IReflectionTypeInfo)?.Type.GetCustomAttribute<ToolsForEveryFactAttribute>()?.Tools ?? [];
        var missing = tools.Where(tool => ExternalTools.Find(tool) is null).ToList();
        if (missing.Count > 0 && Environment.GetEnvironmentVariable("CI") != "true")
        {
            return [new XunitSkippedDataRowTestCase(diagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(),
                testMethod, $"needs {string.Join(", ", missing)} (bash .ci/run installs them)")];
        }

        return facts.Discover(discoveryOptions, testMethod, factAttribute);
    }
}
