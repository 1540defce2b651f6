namespace Arrakis.Training;

/// <summary>Linear warm-up followed by a cosine decay (the GPT-2/3 schedule).</summary>
public static class LearningRateSchedule
{
    /// <summary>
    /// The learning rate of 1-based <paramref name="step"/> out of <paramref name="totalSteps"/>: during the first
    /// <paramref name="warmupSteps"/> steps <c>peak × step / warmup</c>; then
    /// <c>min + (peak − min) × ½(1 + cos(π·progress))</c> with <c>min = peak × minRatio</c> and progress going from 0 right
    /// after warm-up to 1 at the last step.
    /// </summary>
    public static double WarmupCosine(int step, int totalSteps, double peak, int warmupSteps, double minRatio)
    {
        if (warmupSteps > 0 && step <= warmupSteps)
            return peak * step / warmupSteps;
        double min = peak * minRatio;
        int decaySteps = Math.Max(1, totalSteps - warmupSteps);
        double progress = Math.Clamp((double)(step - warmupSteps) / decaySteps, 0, 1);
        return min + (peak - min) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
