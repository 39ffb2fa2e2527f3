package io.tinyfed.core;

import java.util.List;

/**
 * The exact memory a prepared network uses: one arena, split into named parts. These figures are
 * what a device must have free, so they go into the registry as the model's memory requirement
 * and into the C export as a compile-time constant. Every part starts on a 4-byte boundary; its
 * size includes the padding up to the next part.
 *
 * @param format     number format the plan is for
 * @param training   whether training buffers are included
 * @param parts      one entry per part name, in order of first address (empty parts omitted)
 * @param totalBytes sum of all parts: the arena size
 */
public record ArenaPlan(NumberFormat format, boolean training, List<Part> parts, long totalBytes) {

    public static final String WEIGHTS = "weights";
    public static final String MASTER_WEIGHTS = "master_weights";
    public static final String GRADIENTS = "gradients";
    public static final String OPTIMIZER = "optimizer";
    public static final String ACTIVATIONS = "activations";
    public static final String SCRATCH = "scratch";
    public static final String SCALES = "scales";
    /** What compressed updates left unsent, carried to the next ({@link TrainingConfig#uplinkResidual()}). */
    public static final String UPLINK_RESIDUAL = "uplink_residual";

    /** One named region of the arena. */
    public record Part(String name, long bytes) {
    }

    public ArenaPlan {
        parts = List.copyOf(parts);
    }

    /** Plans without allocating: what {@code Network.prepare} would use for this configuration. */
    public static ArenaPlan of(Architecture architecture, NumberFormat format, TrainingConfig config) {
        return io.tinyfed.core.internal.Layout.plan(architecture, format, config).publicPlan();
    }

    /** Bytes of the named part, 0 if absent. Parts with the same name are summed. */
    public long bytes(String name) {
        long n = 0;
        for (Part p : parts) {
            if (p.name().equals(name)) {
                n += p.bytes();
            }
        }
        return n;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(format).append(training ? " training" : " inference").append(" arena ")
                .append(String.format("%,d B", totalBytes)).append(" (");
        for (int i = 0; i < parts.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(parts.get(i).name()).append(' ').append(String.format("%,d", parts.get(i).bytes()));
        }
        return sb.append(')').toString();
    }
}
