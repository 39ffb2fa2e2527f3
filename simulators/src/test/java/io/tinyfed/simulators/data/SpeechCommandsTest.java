package io.tinyfed.simulators.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny Speech Commands fixture written here: two words, two speakers, tones instead of speech. */
class SpeechCommandsTest {
    @TempDir
    Path root;

    private void tone(String word, String file, double hz) throws Exception {
        float[] s = new float[16_000];
        for (int i = 0; i < s.length; i++) {
            s[i] = (float) (0.5 * Math.sin(2 * Math.PI * hz * i / 16_000));
        }
        Files.createDirectories(root.resolve(word));
        Wav.write(root.resolve(word).resolve(file), s, 16_000);
    }

    @Test
    void read_givesFeaturesLabelsAndSpeakers() throws Exception {
        tone("yes", "aa11_nohash_0.wav", 500);
        tone("yes", "bb22_nohash_0.wav", 520);
        tone("no", "aa11_nohash_0.wav", 3000);
        tone("no", "bb22_nohash_1.wav", 3100);
        Files.createDirectories(root.resolve("_background_noise_"));

        LabelledImages clips = SpeechCommands.read(root, List.of());

        assertThat(clips.size()).isEqualTo(4);
        assertThat(clips.classes()).isEqualTo(2); // "no", "yes" in name order; the noise folder is skipped
        assertThat(clips.labels()).containsExactly(0, 0, 1, 1);
        assertThat(clips.groups()).containsExactly(0, 1, 0, 1);
        assertThat(clips.pixels().get(0)).hasSize(SpeechCommands.FRAMES * SpeechCommands.BANDS);
    }

    @Test
    void logMel_putsAToneInTheRightBand() throws Exception {
        tone("low", "a_nohash_0.wav", 300);
        tone("high", "a_nohash_0.wav", 4000);
        LogMel mel = new LogMel(16_000, SpeechCommands.FRAMES, SpeechCommands.BANDS);

        float[] low = mel.features(Wav.read(root.resolve("low/a_nohash_0.wav")));
        float[] high = mel.features(Wav.read(root.resolve("high/a_nohash_0.wav")));

        assertThat(loudestBand(low, 5)).isLessThan(4);
        assertThat(loudestBand(high, 5)).isGreaterThan(SpeechCommands.BANDS - 6);
    }

    private static int loudestBand(float[] features, int frame) {
        int best = 0;
        for (int b = 1; b < SpeechCommands.BANDS; b++) {
            if (features[frame * SpeechCommands.BANDS + b] > features[frame * SpeechCommands.BANDS + best]) {
                best = b;
            }
        }
        return best;
    }

    @Test
    void read_refusesFilesThatAreNotClipsOfTheLayout() throws Exception {
        tone("yes", "aa11_nohash_0.wav", 500);
        Files.writeString(root.resolve("yes").resolve("bb22_nohash_0.wav"), "not a wav file");
        assertThatThrownBy(() -> SpeechCommands.read(root, List.of())).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("bb22_nohash_0.wav: not a WAV file");

        Files.delete(root.resolve("yes").resolve("bb22_nohash_0.wav"));
        tone("yes", "no-speaker.wav", 500);
        assertThatThrownBy(() -> SpeechCommands.read(root, List.of())).hasMessageContaining("not named SPEAKER_nohash_N.wav");

        assertThatThrownBy(() -> SpeechCommands.read(root, List.of("maybe"))).hasMessageContaining("no folder for the word 'maybe'");
        assertThatThrownBy(() -> SpeechCommands.read(root.resolve("absent"), List.of())).hasMessageContaining("is not a folder");
    }

    @Test
    void keywordCorpus_isSynthesisedOnceAndReadBack(@TempDir Path corpus) throws Exception {
        assumeTrue(espeak(), "espeak-ng is not installed (apt-get install espeak-ng; .ci/run installs it)");
        KeywordCorpus.Settings settings = new KeywordCorpus.Settings(2, 1, 3);

        KeywordCorpus.ensure(corpus, settings);
        Path one = corpus.resolve("stop").resolve("spk001_nohash_0.wav");
        byte[] first = Files.readAllBytes(one);
        long stamp = Files.getLastModifiedTime(one).toMillis();
        KeywordCorpus.ensure(corpus, settings);
        LabelledImages clips = SpeechCommands.read(corpus, KeywordCorpus.WORDS);

        assertThat(clips.size()).isEqualTo(2 * KeywordCorpus.WORDS.size());
        assertThat(clips.groups()).containsOnly(0, 1);
        assertThat(Files.getLastModifiedTime(one).toMillis()).as("reused, not rewritten").isEqualTo(stamp);
        assertThat(Wav.read(one).samples()).hasSize(22_050);
        assertThat(corpus.resolve("CORPUS.md")).content().contains("espeak-ng");

        Path again = corpus.resolveSibling(corpus.getFileName() + "-again");
        KeywordCorpus.ensure(again, settings);
        assertThat(Files.readAllBytes(again.resolve("stop").resolve("spk001_nohash_0.wav"))).as("same seed, same audio")
                .isEqualTo(first);
    }

    private static boolean espeak() {
        try {
            KeywordCorpus.espeakVersion();
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
