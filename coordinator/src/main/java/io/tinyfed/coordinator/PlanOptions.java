package io.tinyfed.coordinator;

import io.tinyfed.coordinator.rollout.RolloutPlan;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * A rollout plan's command-line options (waves, wave timeout, gates, shadow samples, personalisation), shared by
 * {@code tinyfed deploy create} and the simulations that run rollouts.
 */
public final class PlanOptions {
    @Option(names = "--waves", split = ",", defaultValue = "5%,50%,100%", description = "Cumulative wave sizes "
            + "(default: ${DEFAULT-VALUE}).")
    List<String> waves;

    @Option(names = "--wave-timeout", defaultValue = "2m", description = "Longest a wave may take (default: "
            + "${DEFAULT-VALUE}).")
    String waveTimeout;

    @Option(names = "--min-success", defaultValue = "95%", description = "Share of a wave that must install the "
            + "version (default: ${DEFAULT-VALUE}).")
    String minSuccess;

    @Option(names = "--max-loss-ratio", defaultValue = "1.05", description = "Largest median ratio of the version's "
            + "shadow loss to the previous version's (default: ${DEFAULT-VALUE}).")
    double maxLossRatio;

    @Option(names = "--shadow-samples", defaultValue = "50", description = "Live samples each device compares the "
            + "two versions on (default: ${DEFAULT-VALUE}).")
    int shadowSamples;

    @Option(names = "--personalise-steps", defaultValue = "0", description = "SGD steps on each device's own "
            + "recent samples before it serves the version (default: ${DEFAULT-VALUE}).")
    int personaliseSteps;

    @Option(names = "--personalise-lr", defaultValue = "0.02", description = "Their learning rate (default: "
            + "${DEFAULT-VALUE}).")
    float personaliseLr;

    /** The plan the options describe. @throws CommandLine.ParameterException saying which option is wrong */
    public RolloutPlan plan(CommandLine cl) {
        List<Double> shares = new ArrayList<>();
        for (String w : waves) {
            shares.add(fraction(cl, "--waves", w));
        }
        java.time.Duration timeout;
        try {
            timeout = RolloutPlan.duration(waveTimeout);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--wave-timeout: " + e.getMessage());
        }
        try {
            return new RolloutPlan(shares, timeout, fraction(cl, "--min-success", minSuccess), maxLossRatio,
                    shadowSamples, personaliseSteps, personaliseLr);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
    }

    private static double fraction(CommandLine cl, String flag, String text) {
        try {
            String t = text.trim();
            return t.endsWith("%") ? Double.parseDouble(t.substring(0, t.length() - 1)) / 100 : Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(cl, flag + " " + text + ": a share like 5% or 0.05");
        }
    }
}
