package dev.embedtune.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.embedtune.train.Warnings;
import dev.embedtune.train.data.Utf8Reader;
import dev.embedtune.train.pipeline.RunSpec;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The one reader of settings files: a run specification ({@code run --config}, {@code finetune
 * --config}, {@code hpo --config}) or a study's space, in YAML ({@code .yaml}, {@code .yml}) or JSON.
 * The file's tree goes to {@link RunSpec#fromTree} (or {@link RunSpec#withOverrides}), which checks
 * every key; this class only parses, and names the file and line when the text does not parse.
 */
public final class SettingsFile {

    private SettingsFile() {
    }

    /**
     * The tree of a YAML or JSON file. A key given twice in one mapping is a warning naming the line
     * (the last value wins, as YAML and JSON readers do). An empty file (or one of comments only) is an
     * error: it would otherwise silently run with every default; {@code {}} says that on purpose.
     *
     * @param what names the file in messages, e.g. "config file"
     * @throws NoSuchFileException when the file does not exist
     * @throws IllegalArgumentException naming the file (and line) when it does not parse or is empty
     */
    public static JsonNode readTree(Path file, String what) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean yaml = name.endsWith(".yaml") || name.endsWith(".yml");
        ObjectMapper mapper = yaml ? new ObjectMapper(new YAMLFactory()) : new ObjectMapper();
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, what + " not found");
        }
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(file + ": is a directory; expected a " + what + " (.yaml, .yml or .json)");
        }
        String text = Utf8Reader.readString(file);
        JsonNode root;
        try {
            warnDuplicateKeys(mapper, text, file);
            root = mapper.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid " + (yaml ? "YAML" : "JSON") + ": " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new IllegalArgumentException(file + ": the " + what + " is empty; write the settings it should change"
                    + " (e.g. learning_rate: 1.0e-4), or {} to take every default on purpose");
        }
        if (root.isObject() && root.isEmpty()) {
            Warnings.warn(file + ": {}, no settings: every setting takes its default");   // on purpose, but say so
        }
        return root;
    }

    /** One warning per key that appears twice in the same mapping, naming the line of the second. */
    private static void warnDuplicateKeys(ObjectMapper mapper, String text, Path file) throws IOException {
        Deque<Set<String>> open = new ArrayDeque<>();
        try (JsonParser p = mapper.getFactory().createParser(text)) {
            for (JsonToken t; (t = p.nextToken()) != null; ) {
                switch (t) {
                    case START_OBJECT -> open.push(new HashSet<>());
                    case END_OBJECT -> open.pop();
                    case FIELD_NAME -> {
                        if (!open.isEmpty() && !open.peek().add(p.currentName())) {
                            Warnings.warn(file + ":" + p.currentLocation().getLineNr() + ": key '" + p.currentName()
                                    + "' is given twice in the same mapping; the last value is used");
                        }
                    }
                    default -> { }
                }
            }
        }
    }

    /** A run specification file read over {@code base}: its keys replace the base's. */
    public static RunSpec readSpec(Path file, RunSpec base, Consumer<String> warnings) throws IOException {
        return base.withOverrides(readTree(file, "config file"), file.toString(), warnings);
    }
}
