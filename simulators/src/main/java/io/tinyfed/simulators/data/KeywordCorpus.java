package io.tinyfed.simulators.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.SplittableRandom;

/**
 * A keyword corpus synthesised with espeak-ng, because no recorded keyword corpus is reachable from this project's
 * machines. Written in the Speech Commands layout ({@code DIR/WORD/SPEAKER_nohash_N.wav}, 16-bit mono, espeak-ng's
 * 22,050 Hz, one second) so {@link SpeechCommands} reads it like the real thing. How it is made, all from the seed:
 * <ul>
 *   <li>the ten Speech Commands core words ({@link #WORDS});</li>
 *   <li>each speaker is an espeak-ng English voice (7 accents: en-us, en-gb, Scottish, RP, Lancaster, West Midlands,
 *       Caribbean) with one of 12 voice variants (m1-m7, f1-f5), a base pitch 25-75 and speed 120-190 words/min,
 *       a microphone gain 0.3-1.0 and a background noise level (SNR 5-25 dB);</li>
 *   <li>each repetition jitters speed by +-15 and pitch by +-8, starts at a random time within the second, and gets
 *       fresh white noise at the speaker's SNR (relative to the utterance's RMS).</li>
 * </ul>
 * {@code DIR/corpus.properties} records the settings and the espeak-ng version; a folder holding the same settings is
 * reused as it is. {@code DIR/CORPUS.md} repeats this description next to the data.
 */
public final class KeywordCorpus {
    public static final List<String> WORDS = List.of("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go");
    private static final List<String> ACCENTS = List.of("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan",
            "en-gb-x-gbcwmd", "en-029");
    private static final List<String> VARIANTS = List.of("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5");

    /** How many speakers and repetitions per word, from which seed. */
    public record Settings(int speakers, int repetitions, long seed) {
        public Settings {
            if (speakers < 2 || repetitions < 1) {
                throw new IllegalArgumentException("need 2+ speakers and 1+ repetitions");
            }
        }
    }

    private KeywordCorpus() {
    }

    /** The espeak-ng version line, or a clear error naming the package to install. */
    public static String espeakVersion() throws IOException {
        try {
            Process p = new ProcessBuilder("espeak-ng", "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() != 0) {
                throw new IOException("espeak-ng --version failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IOException("the keyword corpus is synthesised with espeak-ng, which is not installed: "
                    + "apt-get install espeak-ng (" + e.getMessage() + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Writes the corpus into {@code dir} unless it already holds this one; returns {@code dir}. */
    public static Path ensure(Path dir, Settings s) throws IOException {
        Properties wanted = new Properties();
        wanted.setProperty("speakers", String.valueOf(s.speakers()));
        wanted.setProperty("repetitions", String.valueOf(s.repetitions()));
        wanted.setProperty("seed", String.valueOf(s.seed()));
        wanted.setProperty("words", String.join(",", WORDS));
        wanted.setProperty("espeak", espeakVersion());
        Path stamp = dir.resolve("corpus.properties");
        if (Files.isRegularFile(stamp)) {
            Properties have = new Properties();
            try (InputStream in = Files.newInputStream(stamp)) {
                have.load(in);
            }
            if (have.equals(wanted)) {
                return dir;
            }
        }
        Files.createDirectories(dir);
        Files.deleteIfExists(stamp);
        SplittableRandom r = new SplittableRandom(s.seed());
        Path scratch = Files.createTempFile("tinyfed-espeak", ".wav");
        try (io.tinyfed.simulators.Progress progress = io.tinyfed.simulators.Progress.start("synthesising keywords",
                (long) s.speakers() * WORDS.size() * s.repetitions())) {
            for (int k = 0; k < s.speakers(); k++) {
                String voice = ACCENTS.get(k % ACCENTS.size()) + "+" + VARIANTS.get(r.nextInt(VARIANTS.size()));
                int pitch = 25 + r.nextInt(51);
                int speed = 120 + r.nextInt(71);
                double gain = 0.3 + 0.7 * r.nextDouble();
                double snrDb = 5 + 20 * r.nextDouble();
                String speaker = String.format("spk%03d", k);
                for (String word : WORDS) {
                    Files.createDirectories(dir.resolve(word));
                    for (int j = 0; j < s.repetitions(); j++) {
                        int sp = speed + r.nextInt(31) - 15;
                        int pi = Math.max(0, Math.min(99, pitch + r.nextInt(17) - 8));
                        run(List.of("espeak-ng", "-v", voice, "-s", String.valueOf(sp), "-p", String.valueOf(pi), "-w",
                                scratch.toString(), word));
                        Wav.Clip spoken = Wav.read(scratch);
                        Wav.write(dir.resolve(word).resolve(speaker + "_nohash_" + j + ".wav"),
                                place(spoken.samples(), Math.round(spoken.sampleRate()), gain, snrDb, r), spoken.sampleRate());
                        progress.step();
                    }
                }
            }
        } finally {
            Files.deleteIfExists(scratch);
        }
        Files.writeString(dir.resolve("CORPUS.md"), describe(s, wanted.getProperty("espeak")));
        try (OutputStream out = Files.newOutputStream(stamp)) {
            wanted.store(out, "TinyFed keyword corpus (see CORPUS.md)");
        }
        return dir;
    }

    /** One second: the utterance (cut to a second) at a random start, times the gain, plus white noise at the SNR. */
    private static float[] place(float[] speech, int rate, double gain, double snrDb, SplittableRandom r) {
        float[] out = new float[rate];
        int len = Math.min(speech.length, rate);
        int start = r.nextInt(rate - len + 1);
        double energy = 0;
        for (int i = 0; i < len; i++) {
            out[start + i] = (float) (gain * speech[i]);
            energy += out[start + i] * (double) out[start + i];
        }
        double rms = Math.sqrt(energy / Math.max(1, len));
        double noise = rms / Math.pow(10, snrDb / 20);
        for (int i = 0; i < out.length; i++) {
            out[i] += (float) (noise * r.nextGaussian());
        }
        return out;
    }

    private static void run(List<String> command) throws IOException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static String describe(Settings s, String espeak) {
        List<String> lines = new ArrayList<>();
        lines.add("# TinyFed keyword corpus (synthetic)");
        lines.add("");
        lines.add("Made by `io.tinyfed.simulators.data.KeywordCorpus` with " + espeak + ": " + s.speakers() + " speakers x "
                + WORDS.size() + " words x " + s.repetitions() + " repetitions, seed " + s.seed() + ".");
        lines.add("");
        lines.add("- Words: " + String.join(", ", WORDS) + " (the Speech Commands core words).");
        lines.add("- Speaker k: espeak-ng voice ACCENT+VARIANT with ACCENT = k-th of " + String.join(", ", ACCENTS)
                + " (cycling) and VARIANT drawn from " + String.join(", ", VARIANTS) + "; base pitch 25-75, base speed "
                + "120-190 words/min, microphone gain 0.3-1.0, background noise SNR 5-25 dB, all drawn from the seed.");
        lines.add("- Repetition: speed +-15, pitch +-8, placed at a random start within one second, fresh white noise "
                + "at the speaker's SNR relative to the utterance RMS.");
        lines.add("- Layout: WORD/SPEAKER_nohash_N.wav, 16-bit PCM mono at espeak-ng's 22,050 Hz, one second each.");
        lines.add("");
        lines.add("It is synthetic speech: real keyword spotting faces real voices, rooms and microphones. Results on it "
                + "say how TinyFed behaves across many distinct, consistent 'speakers', not how well it hears people.");
        return String.join("\n", lines) + "\n";
    }
}
