package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.sluice.cli.deploy.CrdValidator;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice deploy --target kubernetes}: a folder whose FlinkDeployment validates against the
 * Flink Kubernetes Operator's CRD, and whose ConfigMap is the spec under a name carrying its hash.
 */
class KubernetesDeployITCase {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final Path CRD =
            Path.of("src/test/resources/k8s/flinkdeployments.flink.apache.org-v1.yml");
    static final Path TAXI = ExampleSpecsTest.ROOT.resolve("examples/taxi/taxi.yaml");

    static String[] deploy(Path spec, Path out, String... more) {
        String[] base = {
            "deploy",
            spec.toString(),
            "--target",
            "kubernetes",
            "--state-dir",
            "s3://state/sluice",
            "--out",
            out.toString(),
            "--crd",
            CRD.toString()
        };
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void theFolderValidatesAgainstTheOperatorsCrd(@TempDir Path dir) throws IOException {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code =
                SluiceCli.commandLine()
                        .setOut(new PrintWriter(out))
                        .setErr(new PrintWriter(err))
                        .execute(deploy(TAXI, dir, "--namespace", "streaming"));
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).contains("valid against " + CRD);
        assertThat(dir)
                .isDirectoryContaining("glob:**/flinkdeployment.yaml")
                .isDirectoryContaining("glob:**/configmap.yaml")
                .isDirectoryContaining("glob:**/kustomization.yaml")
                .isDirectoryContaining("glob:**/Dockerfile")
                .isDirectoryContaining("glob:**/sluice-job.jar");

        Spec spec = new SpecLoader(PluginRegistry.load()).load(TAXI);
        JsonNode fd = YAML.readTree(dir.resolve("flinkdeployment.yaml").toFile());
        JsonNode cm = YAML.readTree(dir.resolve("configmap.yaml").toFile());
        assertThat(fd.path("apiVersion").asText()).isEqualTo("flink.apache.org/v1beta1");
        assertThat(fd.path("metadata").path("namespace").asText()).isEqualTo("streaming");
        JsonNode s = fd.path("spec");
        assertThat(s.path("flinkVersion").asText()).isEqualTo("v2_2");
        assertThat(s.path("job").path("upgradeMode").asText()).isEqualTo("savepoint");
        assertThat(s.path("job").path("parallelism").asInt()).isEqualTo(2);
        JsonNode conf = s.path("flinkConfiguration");
        assertThat(conf.path("state.backend.type").asText()).isEqualTo("rocksdb");
        assertThat(conf.path("execution.checkpointing.dir").asText())
                .isEqualTo("s3://state/sluice/taxi/checkpoints");
        assertThat(conf.path("execution.checkpointing.savepoint-dir").asText())
                .isEqualTo("s3://state/sluice/taxi/savepoints");
        // the ConfigMap is the spec, named after its hash, and mounted where the job reads it
        String cmName = cm.path("metadata").path("name").asText();
        assertThat(cmName).isEqualTo("taxi-spec-" + spec.hash().substring(0, 10));
        assertThat(cm.path("data").path("taxi.yaml").asText()).isEqualTo(Files.readString(TAXI));
        assertThat(
                        s.path("podTemplate")
                                .path("spec")
                                .path("volumes")
                                .get(0)
                                .path("configMap")
                                .path("name")
                                .asText())
                .isEqualTo(cmName);
        assertThat(s.path("job").path("args").toString())
                .contains("\"--spec\",\"/opt/sluice/spec/taxi.yaml\"");
        assertThat(Files.readString(dir.resolve("kustomization.yaml")))
                .contains("- configmap.yaml", "- flinkdeployment.yaml", "namespace: streaming");

        // an edited spec is a new ConfigMap: the operator sees a change and upgrades with a
        // savepoint
        Path edited = dir.resolve("edited/taxi.yaml");
        Files.createDirectories(edited.getParent());
        Files.writeString(edited, Files.readString(TAXI).replace("k: 4.0", "k: 3.5"));
        int again =
                SluiceCli.commandLine()
                        .setOut(new PrintWriter(new StringWriter()))
                        .execute(deploy(edited, dir.resolve("k8s2")));
        assertThat(again).isZero();
        String cm2 =
                YAML.readTree(dir.resolve("k8s2/configmap.yaml").toFile())
                        .path("metadata")
                        .path("name")
                        .asText();
        assertThat(cm2).startsWith("taxi-spec-").isNotEqualTo(cmName);
    }

    /** A spec keeping state in a local folder would write into the read-only spec mount. */
    @Test
    void aSpecWithLocalStateFoldersIsRefused(@TempDir Path dir) throws IOException {
        Path spec = dir.resolve("taxi.yaml");
        Files.writeString(
                spec,
                Files.readString(TAXI)
                        .replace(
                                "  parallelism: 2\n",
                                "  parallelism: 2\n  checkpoint-interval: 10s\n"
                                        + "  checkpoint-dir: state/checkpoints\n"));
        StringWriter err = new StringWriter();
        int code =
                SluiceCli.commandLine()
                        .setOut(new PrintWriter(new StringWriter()))
                        .setErr(new PrintWriter(err))
                        .execute(deploy(spec, dir.resolve("k8s")));
        assertThat(code).isEqualTo(SluiceCli.BAD_SPEC);
        assertThat(err.toString()).contains("local folder 'state/checkpoints'");
        assertThat(dir.resolve("k8s")).doesNotExist();
    }

    /** What the CRD refuses, the check refuses: a version, an enum value, an unknown field. */
    @Test
    void theCrdCheckCatchesWhatTheApiServerWouldRefuse(@TempDir Path dir) throws IOException {
        int code =
                SluiceCli.commandLine()
                        .setOut(new PrintWriter(new StringWriter()))
                        .execute(deploy(TAXI, dir));
        assertThat(code).isZero();
        CrdValidator crd = CrdValidator.of(CRD, "v1beta1");
        ObjectNode fd = (ObjectNode) YAML.readTree(dir.resolve("flinkdeployment.yaml").toFile());
        assertThat(crd.validate(fd)).isEmpty();

        ObjectNode badVersion = fd.deepCopy();
        ((ObjectNode) badVersion.path("spec")).put("flinkVersion", "v2_9");
        assertThat(crd.validate(badVersion)).anyMatch(p -> p.startsWith("$.spec.flinkVersion"));

        ObjectNode badMode = fd.deepCopy();
        ((ObjectNode) badMode.path("spec").path("job")).put("upgradeMode", "savepiont");
        assertThat(crd.validate(badMode)).anyMatch(p -> p.startsWith("$.spec.job.upgradeMode"));

        ObjectNode unknown = fd.deepCopy();
        ((ObjectNode) unknown.path("spec").path("job")).put("paralelism", 2);
        assertThat(crd.validate(unknown))
                .containsExactly(
                        "$.spec.job.paralelism: unknown field \"paralelism\" (the API server drops"
                                + " it)");

        ObjectNode wrongType = fd.deepCopy();
        ((ObjectNode) wrongType.path("spec").path("job")).put("parallelism", "two");
        assertThat(crd.validate(wrongType)).anyMatch(p -> p.startsWith("$.spec.job.parallelism"));

        // flinkConfiguration is free-form: any key passes
        ObjectNode extraConf = fd.deepCopy();
        ((ObjectNode) extraConf.path("spec").path("flinkConfiguration")).put("any.key", "x");
        assertThat(crd.validate(extraConf)).isEmpty();
    }
}
