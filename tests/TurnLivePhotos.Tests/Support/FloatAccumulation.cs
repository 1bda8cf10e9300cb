using TurnLivePhotos.Engine.Svd;

namespace TurnLivePhotos.Tests.Support;

/// <summary>
/// Tolerances from float32 arithmetic, for comparing two ways of computing the same network (batch rows split or
/// not, another graph optimization, weights widened on disk or by a Cast): each sums the same products in another
/// order, and a length-K dot product summed in another order moves by at most about K·u relative (Higham, Accuracy
/// and Stability of Numerical Algorithms, §3.1: γ_K), u = 2⁻²⁴.
/// </summary>
public static class FloatAccumulation
{
    public static readonly double UnitRoundoff = Math.Pow(2, -24);

    /// <summary>
    /// One UNet evaluation: its longest reduction is an up block's 3×3 convolution over its input and skip channels,
    /// 9 · 2 · the widest block.
    /// </summary>
    public static double UNetEvaluation(UNetSpatioTemporalConditionModel.Config unet)
    {
        ArgumentNullException.ThrowIfNull(unet);
        return 9.0 * 2 * unet.BlockOutChannels.Max() * UnitRoundoff;
    }

    /// <summary>
    /// A sampling run: the guided prediction u + g·(c − u) scales an output error by up to 2g − 1, and each Euler step
    /// adds its prediction's error to the latents (to first order), so S steps give S · (2·g_max − 1) evaluations' worth.
    /// </summary>
    public static double Sampling(UNetSpatioTemporalConditionModel.Config unet, int steps, double maxGuidance) =>
        steps * Math.Max(1, (2 * maxGuidance) - 1) * UNetEvaluation(unet);
}
