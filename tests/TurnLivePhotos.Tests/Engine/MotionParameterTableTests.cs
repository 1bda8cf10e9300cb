using System.Globalization;
using TurnLivePhotos.Core.Parameters;
using TurnLivePhotos.Engine;

namespace TurnLivePhotos.Tests.Engine;

/// <summary>The one range table of the generation parameters, which settings, forms and the command line all read through.</summary>
public sealed class MotionParameterTableTests
{
    public static TheoryData<string> Rows => new(MotionParameterTable.All.Select(row => row.Field));

    /// <summary>The rows with a range (the choice rows, Quality and Sampler, have names instead).</summary>
    public static TheoryData<string> NumberRows => new(MotionParameterTable.All.Where(row => row.Expectation.Contains(" to ", StringComparison.Ordinal)).Select(row => row.Field));

    [Fact]
    public void Names_are_unique_in_every_place()
    {
        var all = MotionParameterTable.All;
        var formNames = all.Select(row => row.Field).Concat(all.SelectMany(row => row.Aliases ?? [])).ToList();
        Assert.Equal(formNames.Count, formNames.Distinct().Count());
        Assert.Equal(all.Count, all.Select(row => row.SettingsKey.ToLowerInvariant()).Distinct().Count());
        Assert.Equal(all.Count, all.Select(row => row.Option).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(NumberRows))]
    public void The_ends_of_the_range_are_taken_and_what_lies_beyond_is_refused(string field)
    {
        var row = Row(field);
        var (min, max, below, above) = Ends(row);
        var defaults = new ParameterChoices();

        Assert.Equal(min, row.Format(row.Apply(defaults, min)));
        Assert.Equal(max, row.Format(row.Apply(defaults, max)));
        foreach (var bad in new[] { below, above, "NaN", "Infinity", "-Infinity", "1e999", "abc", string.Empty })
        {
            var error = Assert.Throws<ParameterValueException>(() => row.Apply(defaults, bad));
            Assert.Contains(" to ", error.Expectation, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void A_row_sets_its_own_parameter_and_no_other(string field)
    {
        var row = Row(field);
        var defaults = ParameterChoices.Of(new MotionParameters(), Quality.Standard);
        // A number row's maximum; a choice row's first name that is not the default.
        var value = row.Expectation.StartsWith("one of ", StringComparison.Ordinal)
            ? row.Expectation["one of ".Length..].Split(", ").First(name => name != row.Format(defaults))
            : Ends(row).Max;

        var changed = row.Apply(defaults, value);

        foreach (var other in MotionParameterTable.All.Where(o => o != row))
        {
            Assert.Equal(other.Format(defaults), other.Format(changed));
        }

        Assert.NotEqual(defaults, changed);
    }

    [Fact]
    public void Whole_numbers_take_a_trailing_zero_fraction_but_not_a_fraction()
    {
        var defaults = new ParameterChoices();

        Assert.Equal(200, MotionParameterTable.MotionBucketId.Apply(defaults, "200.0").MotionBucketId);
        Assert.Throws<ParameterValueException>(() => MotionParameterTable.MotionBucketId.Apply(defaults, "12.5"));
        Assert.Equal(long.MaxValue, MotionParameterTable.Seed.Apply(defaults, long.MaxValue.ToString(CultureInfo.InvariantCulture)).Seed);
    }

    [Fact]
    public void A_choice_takes_names_in_any_case_and_refuses_numbers_and_strangers()
    {
        var row = new ChoiceParameter<DayOfWeek>("day", "Day", ParameterSources.Settings, "test row",
            p => p.Frames is { } frames ? (DayOfWeek)(frames % 7) : null, (p, v) => p with { Frames = (int)v }, Read: null, Write: null);
        var defaults = new ParameterChoices();

        Assert.Equal((int)DayOfWeek.Friday, row.Apply(defaults, "FRIDAY").Frames);
        Assert.Equal("friday", row.Format(row.Apply(defaults, " friday ")));
        Assert.Throws<ParameterValueException>(() => row.Apply(defaults, "5"));
        Assert.Contains("sunday", Assert.Throws<ParameterValueException>(() => row.Apply(defaults, "someday")).Expectation, StringComparison.Ordinal);
    }

    private static MotionParameter Row(string field) => MotionParameterTable.All.Single(row => row.Field == field);

    private static (string Min, string Max, string Below, string Above) Ends(MotionParameter row) => row switch
    {
        NumberParameter<int> r => (Text(r.Range.Min), Text(r.Range.Max), Text(r.Range.Min - 1L), Text(r.Range.Max + 1L)),
        NumberParameter<long> r => (Text(r.Range.Min), Text(r.Range.Max), Text(r.Range.Min - 1m), Text(r.Range.Max + 1m)),
        NumberParameter<double> r => (Text(r.Range.Min), Text(r.Range.Max), Text(r.Range.Min - 0.001), Text(r.Range.Max + 0.001)),
        _ => throw new InvalidOperationException($"no range ends for {row.GetType().Name}"),
    };

    private static string Text(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);
}
