package io.tinyfed.simulators.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Keyword clips in the Speech Commands layout ({@code ROOT/WORD/SPEAKER_nohash_N.wav}, Warden 2018), turned into
 * log-mel features ({@link LogMel}: 20 frames x 16 bands). Words are the sub-folders (ones starting with {@code _},
 * such as {@code _background_noise_}, are skipped) or the list given; the speaker is the file name's part before
 * {@code _nohash_}. Every clip must have the folder's sample rate; a file that is not 16-bit mono PCM WAV, or is
 * not named as the layout says, is refused with its path.
 */
public final class SpeechCommands {
    public static final int FRAMES = 20;
    public static final int BANDS = 16;

    private SpeechCommands() {
    }

    /** Reads {@code words} (all sub-folders when empty) under {@code root}; groups are speakers in name order. */
    public static LabelledImages read(Path root, List<String> words) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new DatasetFormatException(root + " is not a folder in the Speech Commands layout (ROOT/WORD/*.wav)");
        }
        List<String> vocabulary = new ArrayList<>(words);
        if (vocabulary.isEmpty()) {
            try (Stream<Path> dirs = Files.list(root)) {
                dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()).filter(n -> !n.startsWith("_")).sorted()
                        .forEach(vocabulary::add);
            }
        }
        if (vocabulary.isEmpty()) {
            throw new DatasetFormatException(root + " holds no word folders");
        }
        Map<String, Integer> speakers = new TreeMap<>();
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int w = 0; w < vocabulary.size(); w++) {
            Path dir = root.resolve(vocabulary.get(w));
            if (!Files.isDirectory(dir)) {
                throw new DatasetFormatException(dir + ": no folder for the word '" + vocabulary.get(w) + "'");
            }
            try (Stream<Path> wavs = Files.list(dir)) {
                for (Path f : wavs.filter(p -> p.toString().endsWith(".wav")).sorted().toList()) {
                    String name = f.getFileName().toString();
                    int cut = name.indexOf("_nohash_");
                    if (cut <= 0) {
                        throw new DatasetFormatException(f + ": not named SPEAKER_nohash_N.wav");
                    }
                    speakers.putIfAbsent(name.substring(0, cut), 0);
                    files.add(f);
                    labels.add(w);
                }
            }
        }
        int next = 0;
        for (Map.Entry<String, Integer> e : speakers.entrySet()) {
            e.setValue(next++);
        }
        LogMel features = null;
        List<float[]> x = new ArrayList<>(files.size());
        int[] y = new int[files.size()];
        int[] g = new int[files.size()];
        for (int i = 0; i < files.size(); i++) {
            Path f = files.get(i);
            Wav.Clip clip = Wav.read(f);
            if (features == null) {
                features = new LogMel(clip.sampleRate(), FRAMES, BANDS);
            } else if (clip.sampleRate() != features.sampleRate()) {
                throw new DatasetFormatException(f + ": " + clip.sampleRate() + " Hz, the other clips have "
                        + features.sampleRate());
            }
            x.add(features.features(clip));
            y[i] = labels.get(i);
            String name = f.getFileName().toString();
            g[i] = speakers.get(name.substring(0, name.indexOf("_nohash_")));
        }
        if (x.isEmpty()) {
            throw new DatasetFormatException(root + " holds no .wav clips");
        }
        return new LabelledImages(root + " (" + vocabulary.size() + " words, " + speakers.size() + " speakers)", BANDS, FRAMES,
                x, y, vocabulary.size(), g);
    }
}
