package io.tinyfed.coordinator.rollout;

import java.time.Duration;
import java.util.List;

/**
 * How a rollout proceeds: cumulative wave sizes as fractions of the target (e.g. 0.05, 0.5, 1.0:
 * a canary of 5%, then half, then all; every wave has at least one device), how long a wave may
 * take, and its gates: the share of the wave that must have installed the version when it closes,
 * and the largest median ratio of the candidate's shadow loss to the previous version's. Devices
 * compare the two on {@code shadowSamples} live samples; {@code personaliseSteps > 0} adapts the
 * version on each device's own recent samples before it serves it.
 */
public record RolloutPlan(List<Double> waves, Duration waveTimeout, double minSuccess, double maxLossRatio,
                          int shadowSamples, int personaliseSteps, float personaliseLearningRate) {
    /** Canary 5%, then 50%, then all; 95% must install within 2 minutes; median loss ratio at most 1.05. */
    public static final RolloutPlan DEFAULT = new RolloutPlan(List.of(0.05, 0.5, 1.0), Duration.ofMinutes(2), 0.95, 1.05,
            50, 0, 0.01f);

    public RolloutPlan {
        waves = List.copyOf(waves);
        if (waves.isEmpty() || waves.get(waves.size() - 1) != 1.0) {
            throw new IllegalArgumentException("waves must end with 100%, got " + waves);
        }
        double last = 0;
        for (double w : waves) {
            if (!(w > last && w <= 1.0)) {
                throw new IllegalArgumentException("waves must grow strictly within (0, 100%], got " + waves);
            }
            last = w;
        }
        if (waveTimeout.isNegative() || waveTimeout.isZero()) {
            throw new IllegalArgumentException("the wave timeout must be positive");
        }
        if (!(minSuccess >= 0 && minSuccess <= 1)) {
            throw new IllegalArgumentException("the install success threshold must be within [0, 1], got " + minSuccess);
        }
        if (!(maxLossRatio > 0) || Double.isInfinite(maxLossRatio)) {
            throw new IllegalArgumentException("the loss ratio gate must be positive, got " + maxLossRatio);
        }
        if (shadowSamples < 0 || personaliseSteps < 0 || !(personaliseLearningRate >= 0)
                || (personaliseSteps > 0 && personaliseLearningRate == 0)) {
            throw new IllegalArgumentException("shadow samples and personalisation steps must not be negative, and "
                    + "personalisation needs a positive learning rate");
        }
    }

    /** {@code 90s}, {@code 2m}, {@code 1h}, {@code 30d}: a number with its unit. @throws IllegalArgumentException otherwise */
    public static Duration duration(String text) {
        java.util.regex.Matcher days = java.util.regex.Pattern.compile("(\\d{1,6})d").matcher(text.trim());
        if (days.matches()) {
            return Duration.ofDays(Long.parseLong(days.group(1)));
        }
        try {
            return Duration.parse("PT" + text.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("duration '" + text + "' needs a unit, e.g. 90s, 2m, 1h or 30d");
        }
    }

    /** Cumulative device counts of the waves for {@code targets} devices: each wave adds at least one (while any are left). */
    public int[] waveEnds(int targets) {
        int[] ends = new int[waves.size()];
        int previous = 0;
        for (int i = 0; i < ends.length; i++) {
            int end = (int) Math.ceil(waves.get(i) * targets - 1e-9);
            ends[i] = Math.min(targets, Math.max(end, previous + 1));
            previous = ends[i];
        }
        return ends;
    }
}
