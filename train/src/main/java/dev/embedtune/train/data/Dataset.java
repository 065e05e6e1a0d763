package dev.embedtune.train.data;

import java.util.List;

/**
 * Examples of one format, with the name of where they came from (used in messages and logs).
 *
 * @param name a file name or a description such as {@code "jargon.jsonl (train)"}
 * @param format the shape every example has
 * @param examples the examples in file order
 */
public record Dataset(String name, ExampleFormat format, List<Example> examples) {

    public Dataset {
        examples = List.copyOf(examples);
    }

    public int size() {
        return examples.size();
    }

    public Example get(int i) {
        return examples.get(i);
    }

    /** The same format and name with other examples, e.g. after a split or a filter. */
    public Dataset withExamples(String newName, List<Example> newExamples) {
        return new Dataset(newName, format, newExamples);
    }
}
