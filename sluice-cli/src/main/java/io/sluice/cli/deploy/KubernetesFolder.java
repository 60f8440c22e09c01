package io.sluice.cli.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.sluice.runtime.run.FlinkSettings;
import io.sluice.spec.model.Spec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A folder to apply to a Kubernetes cluster running the Flink Kubernetes Operator: a {@code
 * FlinkDeployment} ({@code flink.apache.org/v1beta1}) that runs the job jar on the spec, the spec
 * as a ConfigMap named after its hash (so an edited spec is a new ConfigMap, which the operator
 * sees as a change and applies with a savepoint), a kustomization, a Dockerfile for the image and a
 * README.
 */
public final class KubernetesFolder {
    /** Where the pods see the spec. */
    static final String SPEC_MOUNT = "/opt/sluice/spec";

    /** The operator's main container: the pod template patches it by this name. */
    static final String MAIN_CONTAINER = "flink-main-container";

    private static final ObjectMapper YAML =
            new ObjectMapper(
                    new YAMLFactory()
                            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                            .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE));

    /** What the user chooses about the deployment; the rest comes from the spec. */
    public record Settings(
            String image,
            String namespace,
            String stateDir,
            String jobManagerMemory,
            double jobManagerCpu,
            String taskManagerMemory,
            double taskManagerCpu,
            int slots) {}

    private KubernetesFolder() {}

    /** A DNS-1123 name from the spec's name: lower case, '-' for anything else, at most 45. */
    public static String name(String specName) {
        String n = specName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-");
        n = n.replaceAll("^-+|-+$", "");
        if (n.length() > 45) {
            n = n.substring(0, 45).replaceAll("-+$", "");
        }
        return n.isEmpty() ? "sluice-job" : n;
    }

    /** Writes the folder; returns the FlinkDeployment it holds. */
    public static ObjectNode write(Spec spec, Path specFile, Settings s, Path out)
            throws IOException {
        Files.createDirectories(out);
        String name = name(spec.name());
        String configMap = name + "-spec-" + spec.hash().substring(0, 10);
        String file = specFile.getFileName().toString();

        ObjectNode cm = YAML.createObjectNode();
        cm.put("apiVersion", "v1");
        cm.put("kind", "ConfigMap");
        ObjectNode cmMeta = metadata(cm, configMap, s, spec);
        cmMeta.putObject("annotations").put("sluice.io/spec-file", file);
        cm.putObject("data").put(file, Files.readString(specFile));
        Files.writeString(
                out.resolve("configmap.yaml"), header(spec) + YAML.writeValueAsString(cm));

        ObjectNode fd = deployment(spec, file, configMap, s);
        Files.writeString(
                out.resolve("flinkdeployment.yaml"), header(spec) + YAML.writeValueAsString(fd));

        Files.writeString(
                out.resolve("kustomization.yaml"),
                header(spec)
                        + "apiVersion: kustomize.config.k8s.io/v1beta1\n"
                        + "kind: Kustomization\n"
                        + (s.namespace() != null ? "namespace: " + s.namespace() + "\n" : "")
                        + "resources:\n  - configmap.yaml\n  - flinkdeployment.yaml\n");
        Files.writeString(
                out.resolve("Dockerfile"),
                "# The image the FlinkDeployment runs: Flink 2.2 with the Sluice job jar.\n"
                        + "#   docker build -t "
                        + s.image()
                        + " . && docker push "
                        + s.image()
                        + "\n"
                        + "FROM flink:2.2.1-java17\n"
                        + "# S3 state directories: enable Flink's S3 file system plugin\n"
                        + "# RUN mkdir -p /opt/flink/plugins/s3-fs-presto && \\\n"
                        + "#     cp /opt/flink/opt/flink-s3-fs-presto-*.jar"
                        + " /opt/flink/plugins/s3-fs-presto/\n"
                        + "COPY sluice-job.jar /opt/flink/usrlib/sluice-job.jar\n");
        Files.copy(
                JobJar.template(),
                out.resolve("sluice-job.jar"),
                StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(out.resolve("README.md"), readme(spec, name, configMap, s));
        return fd;
    }

    static ObjectNode deployment(Spec spec, String file, String configMap, Settings s) {
        String name = name(spec.name());
        ObjectNode fd = YAML.createObjectNode();
        fd.put("apiVersion", "flink.apache.org/v1beta1");
        fd.put("kind", "FlinkDeployment");
        metadata(fd, name, s, spec);
        ObjectNode sp = fd.putObject("spec");
        sp.put("image", s.image());
        sp.put("imagePullPolicy", "IfNotPresent");
        sp.put("flinkVersion", "v2_2");
        sp.put("serviceAccount", "flink");

        Map<String, String> conf = new TreeMap<>(FlinkSettings.of(spec, Path.of(SPEC_MOUNT)));
        conf.put("taskmanager.numberOfTaskSlots", Integer.toString(s.slots()));
        conf.putIfAbsent("state.backend.type", "rocksdb");
        conf.putIfAbsent("execution.checkpointing.incremental", "true");
        conf.put("execution.checkpointing.dir", s.stateDir() + "/checkpoints");
        conf.put("execution.checkpointing.savepoint-dir", s.stateDir() + "/savepoints");
        conf.putIfAbsent("execution.checkpointing.interval", "60 s");
        conf.putIfAbsent(
                "execution.checkpointing.externalized-checkpoint-retention",
                "RETAIN_ON_CANCELLATION");
        conf.put("pipeline.generic-types", "false");
        ObjectNode fc = sp.putObject("flinkConfiguration");
        conf.forEach(fc::put);

        resources(sp.putObject("jobManager"), s.jobManagerMemory(), s.jobManagerCpu());
        resources(sp.putObject("taskManager"), s.taskManagerMemory(), s.taskManagerCpu());

        // every pod sees the spec where the job reads it
        ObjectNode podSpec = sp.putObject("podTemplate").putObject("spec");
        ObjectNode main = podSpec.putArray("containers").addObject();
        main.put("name", MAIN_CONTAINER);
        ObjectNode mount = main.putArray("volumeMounts").addObject();
        mount.put("name", "sluice-spec");
        mount.put("mountPath", SPEC_MOUNT);
        ObjectNode vol = podSpec.putArray("volumes").addObject();
        vol.put("name", "sluice-spec");
        vol.putObject("configMap").put("name", configMap);

        ObjectNode job = sp.putObject("job");
        job.put("jarURI", "local:///opt/flink/usrlib/sluice-job.jar");
        job.put("entryClass", JobJar.ENTRY_CLASS);
        ArrayNode args = job.putArray("args");
        for (String a :
                List.of(
                        "--spec",
                        SPEC_MOUNT + "/" + file,
                        "--spec-dir",
                        SPEC_MOUNT,
                        "--output-dir",
                        "/opt/flink/sluice-out/" + spec.name())) {
            args.add(a);
        }
        job.put("parallelism", spec.runtime().parallelism());
        job.put("upgradeMode", "savepoint");
        job.put("state", "running");
        return fd;
    }

    private static ObjectNode metadata(ObjectNode o, String name, Settings s, Spec spec) {
        ObjectNode m = o.putObject("metadata");
        m.put("name", name);
        if (s.namespace() != null) {
            m.put("namespace", s.namespace());
        }
        ObjectNode labels = m.putObject("labels");
        labels.put("app.kubernetes.io/name", name(spec.name()));
        labels.put("app.kubernetes.io/managed-by", "sluice");
        labels.put("sluice.io/spec-hash", spec.hash());
        return m;
    }

    private static void resources(ObjectNode o, String memory, double cpu) {
        ObjectNode r = o.putObject("resource");
        r.put("memory", memory);
        r.put("cpu", cpu);
    }

    private static String header(Spec spec) {
        return "# Written by 'sluice deploy --target kubernetes' for spec '"
                + spec.name()
                + "' (hash "
                + spec.hash()
                + "); write it again after editing the spec.\n";
    }

    private static String readme(Spec spec, String name, String configMap, Settings s) {
        return "# "
                + spec.name()
                + " on Kubernetes\n\n"
                + "Written by `sluice deploy --target kubernetes` for spec hash `"
                + spec.hash()
                + "`. Needs the Flink Kubernetes Operator (1.13 or later, for Flink 2.2) in the"
                + " cluster.\n\n"
                + "1. Build and push the image (the job jar is in this folder):\n\n"
                + "       docker build -t "
                + s.image()
                + " . && docker push "
                + s.image()
                + "\n\n"
                + "2. Apply: `kubectl apply -k .` creates the ConfigMap `"
                + configMap
                + "` (the spec) and the FlinkDeployment `"
                + name
                + "`.\n"
                + "3. Follow it: `kubectl get flinkdeployment "
                + name
                + "`; the Flink UI is the service `"
                + name
                + "-rest` (port 8081).\n\n"
                + "To change the job, edit the spec and run `sluice deploy --target kubernetes`"
                + " again: the ConfigMap's name carries the spec's hash, so the FlinkDeployment"
                + " changes, and the operator stops the job with a savepoint and starts the new"
                + " spec from it (`upgradeMode: savepoint`). Steps keep their state when their"
                + " ids stay the same.\n\n"
                + "State (`"
                + s.stateDir()
                + "`) must be storage every pod shares and that outlives them (S3, HDFS, a"
                + " persistent volume): checkpoints and savepoints go there.\n";
    }
}
