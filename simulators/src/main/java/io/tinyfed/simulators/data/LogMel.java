package io.tinyfed.simulators.data;

import org.apache.commons.math3.complex.Complex;
import org.apache.commons.math3.transform.DftNormalization;
import org.apache.commons.math3.transform.FastFourierTransformer;
import org.apache.commons.math3.transform.TransformType;

/**
 * Log-mel spectrogram features of a one-second keyword clip, small enough for a microcontroller: the clip is cut or
 * zero-padded to 1 s, split into {@code frames} Hann-windowed 25 ms frames evenly spaced over the second, each
 * frame's power spectrum (FFT from Apache Commons Math, size the next power of two) is pooled into {@code bands}
 * triangular mel bands between 60 Hz and min(8 kHz, Nyquist), and the log energies are standardised per clip (zero
 * mean, unit variance) so that loudness does not matter. Output: {@code frames * bands} values, frame-major.
 */
public final class LogMel {
    private final float sampleRate;
    private final int frames;
    private final int bands;
    private final int frameLength;
    private final int fftSize;
    private final double[] window;
    private final double[][] filters;
    private final FastFourierTransformer fft = new FastFourierTransformer(DftNormalization.STANDARD);

    public LogMel(float sampleRate, int frames, int bands) {
        if (frames < 2 || bands < 2) {
            throw new IllegalArgumentException("need at least 2 frames and 2 bands");
        }
        this.sampleRate = sampleRate;
        this.frames = frames;
        this.bands = bands;
        this.frameLength = Math.round(0.025f * sampleRate);
        this.fftSize = Integer.highestOneBit(frameLength - 1) << 1;
        this.window = new double[frameLength];
        for (int i = 0; i < frameLength; i++) {
            window[i] = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / (frameLength - 1));
        }
        double low = mel(60);
        double high = mel(Math.min(8000, sampleRate / 2));
        double[] edges = new double[bands + 2];
        for (int i = 0; i < edges.length; i++) {
            edges[i] = hz(low + (high - low) * i / (bands + 1)) * fftSize / sampleRate; // in FFT bins
        }
        filters = new double[bands][fftSize / 2 + 1];
        for (int m = 0; m < bands; m++) {
            for (int k = 0; k <= fftSize / 2; k++) {
                double up = (k - edges[m]) / (edges[m + 1] - edges[m]);
                double down = (edges[m + 2] - k) / (edges[m + 2] - edges[m + 1]);
                filters[m][k] = Math.max(0, Math.min(up, down));
            }
        }
    }

    public float sampleRate() {
        return sampleRate;
    }

    public int size() {
        return frames * bands;
    }

    /** Features of {@code clip}, which must be at this extractor's sample rate. */
    public float[] features(Wav.Clip clip) {
        if (clip.sampleRate() != sampleRate) {
            throw new IllegalArgumentException("clip at " + clip.sampleRate() + " Hz, extractor at " + sampleRate + " Hz");
        }
        int second = Math.round(sampleRate);
        float[] s = clip.samples();
        int hop = (second - frameLength) / (frames - 1);
        float[] out = new float[frames * bands];
        double[] buf = new double[fftSize];
        for (int f = 0; f < frames; f++) {
            java.util.Arrays.fill(buf, 0);
            for (int i = 0; i < frameLength; i++) {
                int at = f * hop + i;
                buf[i] = at < s.length ? s[at] * window[i] : 0;
            }
            Complex[] spectrum = fft.transform(buf, TransformType.FORWARD);
            for (int m = 0; m < bands; m++) {
                double e = 0;
                for (int k = 0; k <= fftSize / 2; k++) {
                    if (filters[m][k] > 0) {
                        double re = spectrum[k].getReal();
                        double im = spectrum[k].getImaginary();
                        e += filters[m][k] * (re * re + im * im);
                    }
                }
                out[f * bands + m] = (float) Math.log(e + 1e-10);
            }
        }
        double mean = 0;
        for (float v : out) {
            mean += v / out.length;
        }
        double var = 0;
        for (float v : out) {
            var += (v - mean) * (v - mean) / out.length;
        }
        double sd = Math.sqrt(var) + 1e-6;
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) ((out[i] - mean) / sd);
        }
        return out;
    }

    private static double mel(double hz) {
        return 2595 * Math.log10(1 + hz / 700);
    }

    private static double hz(double mel) {
        return 700 * (Math.pow(10, mel / 2595) - 1);
    }
}
