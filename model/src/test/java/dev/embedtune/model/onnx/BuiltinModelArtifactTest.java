package dev.embedtune.model.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The coordinates a missing built-in's error names are the ones the build resolves: each model's
 * files come from the jar {@link BuiltinModel#artifact()} names (Maven's repository layout gives
 * group, artifact and version in the jar's path), and without that jar the error names it and
 * {@code embedtune-models}.
 */
class BuiltinModelArtifactTest {

    @ParameterizedTest
    @EnumSource(BuiltinModel.class)
    void filesComeFromTheJarTheErrorNames(BuiltinModel model) {
        String[] gav = model.artifact().split(":");
        assertEquals(3, gav.length, model.artifact());
        String jarInRepository = "/" + gav[0].replace('.', '/') + "/" + gav[1] + "/" + gav[2] + "/" + gav[1] + "-" + gav[2] + ".jar!/";
        for (String resource : new String[] {model.onnxResource(), model.tokenizerResource()}) {
            URL url = BertImport.class.getClassLoader().getResource(resource);
            assertNotNull(url, resource);
            assertTrue(url.toString().startsWith("jar:") && url.toString().contains(jarInRepository),
                    resource + " was found at " + url + ", expected inside …" + jarInRepository);
        }
    }

    @ParameterizedTest
    @EnumSource(BuiltinModel.class)
    void missingJarIsNamedInTheError(BuiltinModel model) throws IOException {
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            IOException e = assertThrows(IOException.class, () -> BertImport.resource(empty, model, model.onnxResource()));
            assertTrue(e.getMessage().contains("builtin:" + model.id()), e.getMessage());
            assertTrue(e.getMessage().contains("dev.embedtune:embedtune-models (<type>pom</type>"), e.getMessage());
            assertTrue(e.getMessage().contains(model.artifact()), e.getMessage());
        }
    }
}
