package dev.embedtune.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.embedtune.train.pipeline.RunSpec;
import java.io.IOException;
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
     * The tree of a YAML or JSON file; an empty file is an empty object.
     *
     * @param what names the file in the not-found message, e.g. "config file"
     * @throws NoSuchFileException when the file does not exist
     * @throws IllegalArgumentException naming the file (and line) when it does not parse
     */
    public static JsonNode readTree(Path file, String what) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean yaml = name.endsWith(".yaml") || name.endsWith(".yml");
        ObjectMapper mapper = yaml ? new ObjectMapper(new YAMLFactory()) : new ObjectMapper();
        JsonNode root;
        try {
            root = mapper.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, what + " not found");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid " + (yaml ? "YAML" : "JSON") + ": " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()));
        }
        return root == null || root.isMissingNode() || root.isNull() ? mapper.createObjectNode() : root;
    }

    /** A run specification file read over {@code base}: its keys replace the base's. */
    public static RunSpec readSpec(Path file, RunSpec base, Consumer<String> warnings) throws IOException {
        return base.withOverrides(readTree(file, "config file"), file.toString(), warnings);
    }
}
