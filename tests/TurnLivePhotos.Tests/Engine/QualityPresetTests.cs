using TurnLivePhotos.Core.Parameters;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;

namespace TurnLivePhotos.Tests.Engine;

/// <summary>Presets and sampler defaults are bundles of existing settings, laid over what earlier sources gave.</summary>
public sealed class QualityPresetTests
{
    [Fact]
    public void Fast_takes_the_few_step_sampler_with_its_defaults_only_when_its_weights_are_configured()
    {
        var withWeights = QualityPresets.Apply(Quality.Fast, new MotionParameters(), fewStepWeights: true);
        var without = QualityPresets.Apply(Quality.Fast, new MotionParameters(), fewStepWeights: false);

        Assert.Equal((Sampler.AnimateLcm, 4, 1.0, 1.2, 80, 8), (withWeights.Sampler, withWeights.InferenceSteps, withWeights.MinGuidanceScale, withWeights.MaxGuidanceScale, withWeights.MotionBucketId, withWeights.Fps));
        Assert.Equal((Sampler.Euler, QualityPresets.FastEulerSteps), (without.Sampler, without.InferenceSteps));
        Assert.True(without.InferenceSteps < new MotionParameters().InferenceSteps);
        foreach (var fast in new[] { withWeights, without })
        {
            Assert.Equal((14, 512, 320), (fast.Frames, fast.TargetWidth, fast.TargetHeight));
        }
    }

    [Fact]
    public void Standard_is_the_defaults_and_best_takes_more_steps_at_1024()
    {
        var changed = new MotionParameters { Frames = 14, InferenceSteps = 4, TargetWidth = 512, TargetHeight = 320, Sampler = Sampler.AnimateLcm, MaxGuidanceScale = 1.2, Seed = 3 };

        Assert.Equal(new MotionParameters { Seed = 3 }, QualityPresets.Apply(Quality.Standard, changed, fewStepWeights: true));
        var best = QualityPresets.Apply(Quality.Best, changed, fewStepWeights: true);
        Assert.Equal((Sampler.Euler, 1024, 576), (best.Sampler, best.TargetWidth, best.TargetHeight));
        Assert.True(best.InferenceSteps > new MotionParameters().InferenceSteps);
    }

    [Fact]
    public void A_named_sampler_brings_its_defaults_over_the_preset_and_nothing_named_changes_nothing()
    {
        var earlier = new MotionParameters { Frames = 9, InferenceSteps = 33 };

        Assert.Equal(earlier, QualityPresets.Resolve(earlier, new ParameterChoices(), fewStepWeights: true));
        var lcm = QualityPresets.Resolve(earlier, new ParameterChoices { Quality = Quality.Best, Sampler = Sampler.AnimateLcm }, fewStepWeights: false);
        Assert.Equal((Sampler.AnimateLcm, 4, 80, 1024), (lcm.Sampler, lcm.InferenceSteps, lcm.MotionBucketId, lcm.TargetWidth));
        var euler = SamplerDefaults.Apply(Sampler.Euler, lcm);
        Assert.Equal((25, 127, 7, 3.0), (euler.InferenceSteps, euler.MotionBucketId, euler.Fps, euler.MaxGuidanceScale));
    }

    public static TheoryData<Quality, bool> Presets
    {
        get
        {
            var presets = new TheoryData<Quality, bool>();
            foreach (var quality in Enum.GetValues<Quality>())
            {
                presets.Add(quality, true);
                presets.Add(quality, false);
            }

            return presets;
        }
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void A_preset_decides_exactly_its_rows_whatever_it_is_laid_over(Quality quality, bool fewStepWeights)
    {
        // Two bases that differ in every row: what the preset decides comes out the same, the rest as it went in.
        var plain = new MotionParameters();
        var odd = new MotionParameters
        {
            Fps = 30, Frames = 99, InferenceSteps = 77, DecodeChunkSize = 3, TargetWidth = 2000, TargetHeight = 1000, MotionBucketId = 3,
            NoiseAugStrength = 0.7, MinGuidanceScale = 2.5, MaxGuidanceScale = 9, Sampler = Sampler.AnimateLcm, Camera = CameraMove.Orbit, Seed = 5,
        };
        var fromPlain = ParameterChoices.Of(QualityPresets.Apply(quality, plain, fewStepWeights), quality);
        var fromOdd = ParameterChoices.Of(QualityPresets.Apply(quality, odd, fewStepWeights), quality);

        foreach (var row in MotionParameterTable.All.Where(row => row != MotionParameterTable.Quality))
        {
            var decided = QualityPresets.Decided.Contains(row);
            Assert.True(decided == (row.Format(fromPlain) == row.Format(fromOdd)), $"{row.SettingsKey}: decided by the preset is {decided}");
            if (!decided)
            {
                Assert.Equal(row.Format(ParameterChoices.Of(odd, quality)), row.Format(fromOdd));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void The_description_is_the_applied_preset(Quality quality, bool fewStepWeights)
    {
        var applied = ParameterChoices.Of(QualityPresets.Apply(quality, new MotionParameters(), fewStepWeights), quality);
        var expected = string.Join(", ", QualityPresets.Decided.Select(row => $"{row.SettingsKey}={row.Format(applied)}"));

        Assert.Contains(expected, QualityPresets.Describe(quality), StringComparison.Ordinal);
    }
}
