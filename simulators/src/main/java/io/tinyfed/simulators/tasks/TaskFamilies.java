package io.tinyfed.simulators.tasks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The task families by name, as the command line names them. */
public final class TaskFamilies {
    public static final List<String> NAMES = List.of("sine", "digits", "fashion", "presence");

    private TaskFamilies() {
    }

    /**
     * @param data the family's data: a digits CSV, or the Fashion-MNIST IDX folder; null for the default (the bundled
     *             digits, Debian's {@code /usr/share/datasets/fashion-mnist})
     * @throws IllegalArgumentException for an unknown name
     */
    public static TaskFamily byName(String name, Path data) throws IOException {
        return switch (name) {
            case "sine" -> SineFamily.FAMILY;
            case "digits" -> data == null ? ImageClassFamily.digits() : ImageClassFamily.digits(data);
            case "fashion" -> ImageClassFamily.fashionMnist(data == null ? ImageClassFamily.FASHION_MNIST_DIR : data);
            case "presence" -> new PresenceFamily();
            default -> throw new IllegalArgumentException("unknown task family '" + name + "'; families: "
                    + String.join(", ", NAMES));
        };
    }
}
