package io.tinyfed.simulators.tasks;

import io.tinyfed.simulators.data.KeywordCorpus;
import io.tinyfed.simulators.data.SpeechCommands;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The task families by name, as the command line names them. */
public final class TaskFamilies {
    public static final List<String> NAMES = List.of("sine", "digits", "fashion", "keywords", "presence");
    /** Where the synthesised keyword corpus is written (and reused). */
    public static final Path KEYWORD_CORPUS = Path.of("results", "keyword-corpus");
    /** 48 speakers (36 training, 12 new) x 10 words x 10 repetitions. */
    public static final KeywordCorpus.Settings KEYWORD_SETTINGS = new KeywordCorpus.Settings(48, 10, 1);

    private TaskFamilies() {
    }

    /**
     * @param data the family's data: a digits CSV, the Fashion-MNIST IDX folder, a Speech Commands folder; null for the
     *             default (the bundled digits, Debian's {@code /usr/share/datasets/fashion-mnist}, the keyword corpus
     *             synthesised with espeak-ng into {@link #KEYWORD_CORPUS})
     * @throws IllegalArgumentException for an unknown name
     */
    public static TaskFamily byName(String name, Path data) throws IOException {
        return switch (name) {
            case "sine" -> SineFamily.FAMILY;
            case "digits" -> data == null ? ImageClassFamily.digits() : ImageClassFamily.digits(data);
            case "fashion" -> ImageClassFamily.fashionMnist(data == null ? ImageClassFamily.FASHION_MNIST_DIR : data);
            case "keywords" -> ImageClassFamily.keywords(SpeechCommands.read(data != null ? data
                    : KeywordCorpus.ensure(KEYWORD_CORPUS, KEYWORD_SETTINGS), KeywordCorpus.WORDS));
            case "presence" -> new PresenceFamily();
            default -> throw new IllegalArgumentException("unknown task family '" + name + "'; families: "
                    + String.join(", ", NAMES));
        };
    }
}
