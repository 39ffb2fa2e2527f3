package io.tinyfed.core.internal;

import io.tinyfed.core.ArenaPlan;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.TrainingConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The arena planner: assigns every buffer a place in one arena and reports exact sizes.
 *
 * <p>The arena is one address space of {@link #totalBytes()} bytes (what the C runtime allocates).
 * It has a 32-bit region (all F32 buffers; S16 scales, master weights, gradient accumulators,
 * dx scratch and momentum) followed by a 16-bit region (S16 weights, error vector and
 * activations). Every section starts 4-byte aligned. On the JVM each region is backed by one primitive
 * array of its element type ({@code float[]}, {@code int[]}, {@code short[]}); offsets below are
 * element indices into those arrays.
 *
 * <p>Activations: layers before the first trainable layer run through two ping-pong buffers (their
 * values are not needed for backward); from the first trainable layer on every output is kept.
 * The error vector and dx scratch are sized for the widest tensor that backward touches.
 */
public final class Layout {
    public final Architecture architecture;
    public final NumberFormat format;
    public final TrainingConfig config;
    public final boolean training;
    public final int layerCount;
    /** Index of the first layer that learns; {@code layerCount} when inference only. */
    public final int firstTrainable;
    /** Tensor index of layer {@code l}'s weights (its bias is +1), -1 for parameter-free layers. */
    public final int[] tensorOf;
    /** Parameter-vector start of every tensor, plus the total at the end. */
    public final int[] tensorStart;
    public final int[] weightOff;
    public final int[] biasOff;
    public final int[] inOff;
    public final int[] outOff;
    public final int inputOff;
    /** Parameter-vector index where trainable parameters start, and how many there are. */
    public final int trainStart;
    public final int trainCount;
    public final int weightsOff;
    public final int errOff;
    public final int dxOff;
    /**
     * S16 only: int32 scratch as wide as the widest trainable Dense input: the split input-gradient
     * sums (Dense.backwardInputS16), then the non-zero input list of the update (Dense.updateS16).
     */
    public final int dxLowOff;
    /** Cached {@link Architecture#tensorCount()}; read on the hot path. */
    public final int tensorCount;
    public final int accOff;
    public final int velOff;
    /** S16 stochastic rounding: the xorshift32 state word, -1 otherwise. */
    public final int rngOff;
    /** S16 with accumulation over more than one step: the word counting the steps of the current batch, -1 otherwise. */
    public final int batchOff;
    public final int masterOff;
    public final int scalesOff;
    /**
     * With {@link TrainingConfig#uplinkResidual()}: the residual of compressed updates, one value per parameter in the
     * data region (int16 on S16, float on F32), and on S16 its scale's fractional bits (one word in the 32-bit region);
     * -1 otherwise. Planned last, so nothing else moves.
     */
    public final int residualOff;
    public final int residualFracOff;
    public final int wideLength;
    public final int narrowLength;
    private final ArenaPlan plan;

    private Layout(Architecture a, NumberFormat format, TrainingConfig config) {
        this.architecture = a;
        this.format = format;
        this.config = config;
        this.layerCount = a.size();
        this.tensorCount = a.tensorCount();
        this.tensorOf = new int[layerCount];
        this.tensorStart = new int[a.tensorCount() + 1];
        this.weightOff = new int[layerCount];
        this.biasOff = new int[layerCount];
        this.inOff = new int[layerCount];
        this.outOff = new int[layerCount];

        int paramLayers = a.parametrizedLayerCount();
        int trainableParamLayers = Math.min(config.trainableLayers(), paramLayers);
        this.training = trainableParamLayers > 0;
        int ft = layerCount;
        int seen = 0;
        for (int l = 0; l < layerCount; l++) {
            if (a.layer(l).hasParameters()) {
                if (seen == paramLayers - trainableParamLayers) {
                    ft = l;
                }
                seen++;
            }
        }
        this.firstTrainable = training ? ft : layerCount;

        int t = 0;
        int p = 0;
        int trainFrom = a.parameterCount();
        for (int l = 0; l < layerCount; l++) {
            Layer layer = a.layer(l);
            if (layer.hasParameters()) {
                tensorOf[l] = t;
                tensorStart[t] = p;
                tensorStart[t + 1] = p + layer.weightCount();
                t += 2;
                weightOff[l] = p;
                biasOff[l] = p + layer.weightCount();
                if (l == firstTrainable) {
                    trainFrom = p;
                }
                p += layer.weightCount() + layer.biasCount();
            } else {
                tensorOf[l] = -1;
                weightOff[l] = -1;
                biasOff[l] = -1;
            }
        }
        tensorStart[t] = p;
        this.trainStart = trainFrom;
        this.trainCount = a.parameterCount() - trainFrom;

        int backWidth = 0;
        for (int l = firstTrainable; l < layerCount; l++) {
            backWidth = Math.max(backWidth, a.layer(l).outputSize());
            if (l > firstTrainable) {
                backWidth = Math.max(backWidth, a.layer(l).inputSize());
            }
        }
        int pingPongWidth = 0;
        for (int l = 0; l < firstTrainable; l++) {
            pingPongWidth = Math.max(pingPongWidth, a.layer(l).outputSize());
        }

        boolean s16 = format == NumberFormat.S16;
        Region wide = new Region(4);
        Region narrow = new Region(2);
        Region data = s16 ? narrow : wide;
        Region accumulators = wide;

        this.scalesOff = s16 ? wide.take(ArenaPlan.SCALES, a.tensorCount() + layerCount + 1) : -1;
        this.weightsOff = data.take(ArenaPlan.WEIGHTS, a.parameterCount());
        this.masterOff = s16 && training && config.masterWeights()
                ? accumulators.take(ArenaPlan.MASTER_WEIGHTS, trainCount) : -1;
        this.errOff = training ? data.take(ArenaPlan.GRADIENTS, backWidth) : -1;
        this.dxOff = training ? accumulators.take(ArenaPlan.GRADIENTS, backWidth) : -1;
        // S16 int32 scratch shared by two phases of a Dense layer's backward: the low partial sums
        // of its input gradient, then the list of its non-zero inputs for the update.
        int lowWidth = 0;
        for (int l = firstTrainable; l < layerCount; l++) {
            if (a.layer(l) instanceof Layer.Dense) {
                lowWidth = Math.max(lowWidth, a.layer(l).inputSize());
            }
        }
        this.dxLowOff = s16 && lowWidth > 0 ? accumulators.take(ArenaPlan.GRADIENTS, lowWidth) : -1;
        this.accOff = training && (config.accumulationSteps() > 1 || config.momentum() > 0)
                ? accumulators.take(ArenaPlan.GRADIENTS, trainCount) : -1;
        this.velOff = training && config.momentum() > 0 ? accumulators.take(ArenaPlan.OPTIMIZER, trainCount) : -1;
        this.rngOff = s16 && training && config.rounding() == TrainingConfig.Rounding.STOCHASTIC
                ? wide.take(ArenaPlan.OPTIMIZER, 1) : -1;
        this.batchOff = s16 && training && config.accumulationSteps() > 1 ? wide.take(ArenaPlan.OPTIMIZER, 1) : -1;

        this.inputOff = data.take(ArenaPlan.ACTIVATIONS, a.inputSize());
        int ping = -1;
        int pong = -1;
        if (pingPongWidth > 0) {
            ping = data.take(ArenaPlan.ACTIVATIONS, pingPongWidth);
            pong = firstTrainable > 1 ? data.take(ArenaPlan.ACTIVATIONS, pingPongWidth) : -1;
        }
        for (int l = 0; l < layerCount; l++) {
            inOff[l] = l == 0 ? inputOff : outOff[l - 1];
            if (l < firstTrainable) {
                outOff[l] = (l % 2 == 0) ? ping : pong;
            } else {
                outOff[l] = data.take(ArenaPlan.ACTIVATIONS, a.layer(l).outputSize());
            }
        }

        this.residualOff = config.uplinkResidual() ? data.take(ArenaPlan.UPLINK_RESIDUAL, a.parameterCount()) : -1;
        this.residualFracOff = config.uplinkResidual() && s16 ? wide.take(ArenaPlan.UPLINK_RESIDUAL, 1) : -1;
        this.wideLength = wide.cursor;
        this.narrowLength = narrow.cursor;

        Map<String, Long> bytes = new LinkedHashMap<>();
        for (Region r : List.of(wide, narrow)) {
            for (Object[] s : r.sections) {
                bytes.merge((String) s[0], (Long) s[1], Long::sum);
            }
        }
        List<ArenaPlan.Part> parts = new ArrayList<>();
        long total = 0;
        for (Map.Entry<String, Long> e : bytes.entrySet()) {
            parts.add(new ArenaPlan.Part(e.getKey(), e.getValue()));
            total += e.getValue();
        }
        this.plan = new ArenaPlan(format, training, parts, total);
    }

    /** Plans the arena of {@code architecture} in {@code format} for {@code config}. */
    public static Layout plan(Architecture architecture, NumberFormat format, TrainingConfig config) {
        return new Layout(architecture, format, config);
    }

    public ArenaPlan publicPlan() {
        return plan;
    }

    public long totalBytes() {
        return plan.totalBytes();
    }

    /** Index in the scales section of the fractional bits of tensor {@code t}. */
    public int tensorFracIndex(int t) {
        return scalesOff + t;
    }


    /** Index in the scales section of the fractional bits of layer {@code l}'s output; {@code l = -1} is the input. */
    public int layerFracIndex(int l) {
        return l < 0 ? scalesOff + tensorCount + layerCount : scalesOff + tensorCount + l;
    }

    /** A bump allocator over one element width; sections are padded to 4 bytes. */
    private static final class Region {
        private final int elementBytes;
        private final List<Object[]> sections = new ArrayList<>();
        private int cursor;

        Region(int elementBytes) {
            this.elementBytes = elementBytes;
        }

        int take(String part, int elements) {
            int perWord = 4 / elementBytes;
            int padded = (elements + perWord - 1) / perWord * perWord;
            int at = cursor;
            cursor += padded;
            sections.add(new Object[] {part, (long) padded * elementBytes});
            return at;
        }
    }
}
