package io.tinyfed.simulators.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;

/**
 * 16-bit PCM mono WAV files (what Speech Commands and espeak-ng use), through the JDK's {@code javax.sound.sampled}.
 * Samples are scaled to [-1, 1). Any other encoding, sample size or channel count is refused with the file named.
 */
public final class Wav {
    /** Samples in [-1, 1) and their rate in Hz. */
    public record Clip(float[] samples, float sampleRate) {
    }

    private Wav() {
    }

    public static Clip read(Path file) throws IOException {
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file))) {
            return read(in, file.toString());
        }
    }

    public static Clip read(InputStream raw, String name) throws IOException {
        try (AudioInputStream in = AudioSystem.getAudioInputStream(raw)) {
            AudioFormat f = in.getFormat();
            if (f.getEncoding() != AudioFormat.Encoding.PCM_SIGNED || f.getSampleSizeInBits() != 16 || f.getChannels() != 1) {
                throw new DatasetFormatException(name + ": " + f + "; expected 16-bit signed PCM mono");
            }
            byte[] bytes = in.readAllBytes();
            ByteBuffer b = ByteBuffer.wrap(bytes).order(f.isBigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
            float[] samples = new float[bytes.length / 2];
            for (int i = 0; i < samples.length; i++) {
                samples[i] = b.getShort() / 32768f;
            }
            if (samples.length == 0) {
                throw new DatasetFormatException(name + ": no audio samples");
            }
            return new Clip(samples, f.getSampleRate());
        } catch (UnsupportedAudioFileException e) {
            throw new DatasetFormatException(name + ": not a WAV file the JDK can read (" + e.getMessage() + ")");
        }
    }

    /** Writes {@code samples} (clipped to [-1, 1)) as 16-bit PCM mono. */
    public static void write(Path file, float[] samples, float sampleRate) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(2 * samples.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float s : samples) {
            b.putShort((short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, Math.round(s * 32768f))));
        }
        AudioFormat format = new AudioFormat(sampleRate, 16, 1, true, false);
        try (AudioInputStream in = new AudioInputStream(new java.io.ByteArrayInputStream(b.array()), format, samples.length)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            AudioSystem.write(in, AudioFileFormat.Type.WAVE, out);
            Files.write(file, out.toByteArray());
        }
    }
}
