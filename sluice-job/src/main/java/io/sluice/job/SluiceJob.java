package io.sluice.job;

import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.run.LocalRunner;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.SpecException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The entry point a Flink cluster runs ({@code sluice deploy}): composes a spec into a job on the
 * cluster's environment, as {@code sluice run} does on the embedded one.
 *
 * <p>Arguments: {@code --spec-dir DIR} (where the spec's relative paths resolve; the submitting
 * machine's folder, so files must be where the TaskManagers can read them), {@code --output-dir
 * DIR} (file sinks), {@code --resumed true} when it starts from a savepoint (file sinks append),
 * and {@code --spec FILE} to read a spec from a path instead of the one packed into the jar at
 * {@value #SPEC_ENTRY} (named by {@value #NAME_ENTRY}).
 */
public final class SluiceJob {
    /** Where {@code sluice deploy} packs the spec into the job jar. */
    public static final String SPEC_ENTRY = "sluice/spec.yaml";

    /** The spec's file name, for messages and positions. */
    public static final String NAME_ENTRY = "sluice/spec-name";

    private SluiceJob() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> a = args(args);
        String name;
        String text;
        if (a.containsKey("spec")) {
            Path p = Path.of(a.get("spec"));
            name = p.toString();
            text = Files.readString(p);
        } else {
            text = resource(SPEC_ENTRY);
            if (text == null) {
                throw new IllegalArgumentException(
                        "no spec: the jar holds no " + SPEC_ENTRY + " and no --spec was given");
            }
            String n = resource(NAME_ENTRY);
            name = n == null ? "spec.yaml" : n.strip();
        }
        Spec spec;
        try {
            spec = new SpecLoader(PluginRegistry.load()).load(name, text);
        } catch (SpecException e) {
            StringBuilder sb = new StringBuilder("the spec has problems:");
            for (Problem p : e.problems()) {
                sb.append("\n  ").append(p);
            }
            throw new IllegalArgumentException(sb.toString(), e);
        }
        Path specDir = Path.of(a.getOrDefault("spec-dir", ".")).toAbsolutePath();
        Path outputDir =
                Path.of(a.getOrDefault("output-dir", "sluice-out/" + spec.name())).toAbsolutePath();

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        Map<String, String> conf = new HashMap<>(LocalRunner.baseConfig(spec));
        conf.remove("heartbeat.interval"); // the cluster's own
        conf.put("parallelism.default", Integer.toString(spec.runtime().parallelism()));
        // what sluice status shows and sluice upgrade records with a savepoint
        conf.put(
                "pipeline.global-job-parameters",
                "sluice.spec-hash:" + spec.hash() + ",sluice.spec-name:" + spec.name());
        env.configure(Configuration.fromMap(conf));
        boolean resumed = Boolean.parseBoolean(a.getOrDefault("resumed", "false"));
        new JobComposer(PluginRegistry.load(), new RunContext(specDir, outputDir, resumed))
                .compose(spec, env);
        env.execute(spec.name());
    }

    private static String resource(String entry) throws IOException {
        try (InputStream in = SluiceJob.class.getClassLoader().getResourceAsStream(entry)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** {@code --key value} pairs. */
    static Map<String, String> args(String[] args) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException(
                        "expected --spec-dir DIR, --output-dir DIR, --resumed true|false or --spec FILE;"
                                + " found '"
                                + args[i]
                                + "'");
            }
            out.put(args[i].substring(2), args[++i]);
        }
        return out;
    }
}
