package dev.embedtune.app.hpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedtune.app.hpo.Dimension.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SearchSpaceTest {

    @TempDir
    Path tmp;

    @Test
    void readsEveryKindWithItsType() throws IOException {
        StudySpec spec = ToyObjectives.spec(tmp, ToyObjectives.FULL_SPACE);
        assertEquals(11, spec.seed());
        assertEquals(new Budget(Budget.Unit.STEPS, 1, 27, 3), spec.budget());
        var dims = spec.space().dimensions();
        assertEquals(List.of("learning_rate", "lora_rank", "lora_alpha", "batch_size", "epochs", "loss", "matryoshka_dims", "base_model"),
                List.copyOf(dims.keySet()));
        assertEquals(new Dimension.LogUniform("learning_rate", 1e-6, 1e-2), dims.get("learning_rate"));
        assertEquals(new Dimension.Tied("lora_alpha", "lora_rank", 2), dims.get("lora_alpha"));
        assertEquals(Kind.INT_LIST, dims.get("matryoshka_dims").kind());
        assertEquals(List.of(new ParamValue.IntListValue(List.of(384, 256, 128, 64)), new ParamValue.IntListValue(List.of(384))),
                ((Dimension.Choice) dims.get("matryoshka_dims")).values());
        assertEquals(Kind.STRING, dims.get("base_model").kind());
        assertTrue(!dims.get("epochs").varies(), "a bare value is a constant");

        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 200; i++) {
            TrialSettings s = spec.space().sample(random);
            assertTrue(s.learningRate() >= 1e-6 && s.learningRate() <= 1e-2, s.toString());
            assertTrue(List.of(4, 8, 16, 32, 64).contains(s.loraRank()), s.toString());
            assertEquals(2.0 * s.loraRank(), s.loraAlpha(), 0.0, "alpha tied to 2·rank");
            assertTrue(List.of(16, 32, 64).contains(s.batchSize()));
            assertEquals(1, s.epochs());
            assertTrue(s.loss().endsWith("MultipleNegativesRankingLoss"));
            assertTrue(s.matryoshkaDims().get(0) == 384);
            assertTrue(s.baseModel().startsWith("models/"));
        }
    }

    @Test
    void specAndSettingsSurviveAJsonRoundTrip() throws IOException {
        StudySpec spec = ToyObjectives.spec(tmp, ToyObjectives.FULL_SPACE);
        StudySpec back = StudySpec.fromJson(SearchSpace.JSON.readTree(spec.toJson().toString()), "round trip");
        assertEquals(spec, back);
        TrialSettings s = spec.space().sample(new SplittableRandom(3));
        JsonNode json = SearchSpace.JSON.readTree(s.toJson().toString());
        TrialSettings decoded = back.space().decodeSettings(json, "round trip", "settings");
        assertEquals(s, decoded, "types survive: an int rank stays an int, a float alpha a float");
    }

    @Test
    void logUniformIsUniformInTheLogarithm() throws IOException {
        // Half the draws fall below the geometric mean 1e-4 of [1e-6, 1e-2]; with n = 20,000 the
        // binomial standard deviation of the fraction is 0.0035, and 0.015 is over 4 of them.
        SearchSpace space = ToyObjectives.spec(tmp, ToyObjectives.TOY_SPACE).space();
        SplittableRandom random = new SplittableRandom(5);
        int n = 20_000;
        int below = 0;
        int belowDecade = 0;
        for (int i = 0; i < n; i++) {
            double lr = space.sample(random).learningRate();
            below += lr < 1e-4 ? 1 : 0;
            belowDecade += lr < 1e-5 ? 1 : 0;
        }
        assertEquals(0.5, below / (double) n, 0.015);
        assertEquals(0.25, belowDecade / (double) n, 0.015, "one decade of four");
    }

    @Test
    void theSameGeneratorDrawsTheSameSettings() throws IOException {
        SearchSpace space = ToyObjectives.spec(tmp, ToyObjectives.FULL_SPACE).space();
        assertEquals(space.sample(Study.randomFor(11, 4)), space.sample(Study.randomFor(11, 4)));
        assertNotEquals(space.sample(Study.randomFor(11, 4)), space.sample(Study.randomFor(11, 5)));
    }

    @Test
    void jsonSpaceFilesAreReadToo() throws IOException {
        Path file = tmp.resolve("space.json");
        Files.writeString(file, """
                {"budget": {"unit": "epochs", "min": 1, "max": 9},
                 "parameters": {"learning_rate": {"choices": [1e-5, 3e-5]}, "warmup_ratio": {"uniform": [0, 0.2]}}}
                """);
        StudySpec spec = StudySpec.read(file);
        assertEquals(3, spec.budget().reductionFactor(), "default η");
        assertEquals(Kind.FLOAT, spec.space().dimensions().get("warmup_ratio").kind(), "unknown names are accepted with their type");
        assertEquals(List.of(1L, 3L), spec.budget().rungs());
    }

    private SpaceFormatException error(String yaml) throws IOException {
        Path file = tmp.resolve("bad.yaml");
        Files.writeString(file, yaml);
        return assertThrows(SpaceFormatException.class, () -> StudySpec.read(file));
    }

    private static final String BUDGET = "budget: {unit: steps, min: 1, max: 9}\n";

    @Test
    void errorsNameTheFileTheFieldAndWhatWasExpected() throws IOException {
        SpaceFormatException e = error(BUDGET + "parameters:\n  lora_rank: {choices: [8, sixteen, 32]}\n");
        assertEquals("parameters.lora_rank.choices[1]", e.field());
        assertTrue(e.getMessage().startsWith(tmp.resolve("bad.yaml") + ": parameters.lora_rank.choices[1]: expected a positive integer, found \"sixteen\""),
                e.getMessage());

        e = error(BUDGET + "parameters:\n  learning_rate: {log_uniform: [0, 1.0e-3]}\n");
        assertEquals("parameters.learning_rate.log_uniform", e.field());
        assertTrue(e.getMessage().contains("expected 0 < low < high"), e.getMessage());

        e = error(BUDGET + "parameters:\n  lora_rank: {log_uniform: [1, 64]}\n");
        assertEquals("parameters.lora_rank", e.field());
        assertTrue(e.getMessage().contains("expected integer values, found number"), e.getMessage());

        e = error(BUDGET + "parameters:\n  lora_rank: {choices: [8]}\n  lora_alpha: {tied_to: rank, factor: 2}\n");
        assertEquals("parameters", e.field());
        assertTrue(e.getMessage().contains("lora_alpha is tied to rank, which is not declared"), e.getMessage());

        e = error(BUDGET + "parameters:\n  matryoshka_dims: {choices: [\"384,256\", \"384,x\"]}\n");
        assertEquals("parameters.matryoshka_dims.choices[1]", e.field());
        assertTrue(e.getMessage().contains("comma-separated integers"), e.getMessage());

        e = error(BUDGET + "parameters:\n  loss: {choises: [A, B]}\n");
        assertEquals("parameters.loss.choises", e.field());
        assertTrue(e.getMessage().contains("unknown form; expected one of"), e.getMessage());

        e = error("budget: {unit: minutes, min: 1, max: 9}\nparameters: {epochs: 1}\n");
        assertEquals("budget.unit", e.field());
        assertTrue(e.getMessage().contains("expected steps or epochs, found \"minutes\""), e.getMessage());

        e = error("budget: {unit: steps, min: 10, max: 9}\nparameters: {epochs: 1}\n");
        assertEquals("budget.max", e.field());

        e = error("parameters: {epochs: 1}\n");
        assertEquals("budget", e.field());

        e = error(BUDGET + "parameters: {epochs: 1}\nsampler: tpe\n");
        assertEquals("sampler", e.field());

        e = error("budget: {unit: epochs, min: 1, max: 9}\nparameters: {epochs: {choices: [1, 2]}}\n");
        assertTrue(e.getMessage().contains("epochs cannot also be searched"), e.getMessage());

        e = error(BUDGET + "parameters:\n  lora_rank: [8, 16\n");
        assertEquals("(file)", e.field());
        assertTrue(e.getMessage().contains("not valid YAML") && e.getMessage().contains("line"), e.getMessage());
    }
}
