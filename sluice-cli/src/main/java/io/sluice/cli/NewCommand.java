package io.sluice.cli;

import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice new NAME --from SPEC}: a job project with a processor of its own. */
@Command(
        name = "new",
        mixinStandardHelpOptions = true,
        description = {
            "Make a job project: the spec, a processor skeleton implementing Sluice's plugin SPI"
                    + " with a test-harness test and a MiniCluster ITCase, bin/run, bin/validate and"
                    + " bin/deploy scripts, conf/sluice.env, a README and a Maven build (./mvnw"
                    + " verify) that passes out of the box.",
            "The spec (YAML, or JSON) is validated first."
        })
final class NewCommand implements Callable<Integer> {
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");

    @Parameters(paramLabel = "NAME", description = "the project (lower-case words joined by '-')")
    String name;

    @Option(
            names = "--from",
            required = true,
            paramLabel = "SPEC",
            description = "the job's spec, job.yaml or job.json")
    Path from;

    @Option(
            names = "--dir",
            paramLabel = "DIR",
            description = "where the project folder goes (default: the current folder)")
    Path dir = Path.of(".");

    @Option(
            names = "--group",
            paramLabel = "GROUP",
            description = "the Maven groupId (default: ${DEFAULT-VALUE})")
    String group = "com.example";

    @Option(
            names = "--package",
            paramLabel = "PACKAGE",
            description = "the Java package (default: GROUP.NAME)")
    String pkg;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = cmd.commandLine().getOut();
        PrintWriter err = cmd.commandLine().getErr();
        if (!NAME.matcher(name).matches()) {
            err.println(
                    "NAME: lower-case words of letters and digits joined by '-', e.g. fare-checks;"
                            + " found '"
                            + name
                            + "'");
            return SluiceCli.FAILED;
        }
        // secrets need not be set to make the project
        Spec spec =
                SpecFiles.load(
                        new SpecLoader(PluginRegistry.load(), n -> "unset", Map.of()), from, err);
        if (spec == null) {
            err.println("no project was made");
            return SluiceCli.BAD_SPEC;
        }
        PluginRegistry registry = PluginRegistry.load();
        for (io.sluice.spec.plugin.PluginKind kind : io.sluice.spec.plugin.PluginKind.values()) {
            if (registry.find(kind, name) != null) {
                err.println(
                        "NAME: '"
                                + name
                                + "' is already a "
                                + kind.noun()
                                + "; the project's processor takes its name: choose another");
                return SluiceCli.FAILED;
            }
        }
        Path project = dir.resolve(name);
        if (Files.exists(project)) {
            err.println(project + " already exists: choose another NAME or --dir");
            return SluiceCli.FAILED;
        }
        String base = camel(name);
        String className = base + "Processor";
        String last = name.replace("-", "");
        if (javax.lang.model.SourceVersion.isKeyword(last)) {
            last = last + "job"; // 'switch' is no package name
        }
        String packageName = pkg != null ? pkg : group + "." + last;
        if (!javax.lang.model.SourceVersion.isName(packageName)) {
            err.println("--package: '" + packageName + "' is not a Java package name");
            return SluiceCli.FAILED;
        }
        String specPath = "jobs/" + from.getFileName();

        Map<String, String> vars = new LinkedHashMap<>();
        Properties versions = new Properties();
        try (InputStream in = resource("versions.properties")) {
            versions.load(in);
        }
        versions.forEach((k, v) -> vars.put((String) k, (String) v));
        vars.put("NAME", name);
        vars.put("GROUP", group);
        vars.put("PACKAGE", packageName);
        vars.put("PACKAGE_PATH", packageName.replace('.', '/'));
        vars.put("CLASS", className);
        vars.put("IDENT", name);
        vars.put("SPEC_FILE", from.toString());
        vars.put("SPEC_PATH", specPath);
        vars.put("SLUICE_HOME", sluiceHome().toString());
        vars.put("SLUICE_DEPENDENCIES", dependencies(spec));

        String src = "src/main/java/" + packageName.replace('.', '/') + "/";
        String test = "src/test/java/" + packageName.replace('.', '/') + "/";
        Map<String, String> files = new LinkedHashMap<>();
        files.put("pom.xml", "pom.xml.tmpl");
        files.put("mvnw", "mvnw.tmpl");
        files.put(".mvn/wrapper/maven-wrapper.properties", "maven-wrapper.properties.tmpl");
        files.put(".gitignore", "gitignore.tmpl");
        files.put("README.md", "README.md.tmpl");
        files.put(src + className + ".java", "Processor.java.tmpl");
        files.put(test + className + "Test.java", "ProcessorTest.java.tmpl");
        files.put(test + className + "PipelineITCase.java", "PipelineITCase.java.tmpl");
        files.put("src/test/resources/it/job.yaml", "it-job.yaml.tmpl");
        files.put("src/test/resources/it/input.csv", "it-input.csv.tmpl");
        files.put("bin/sluice", "bin-sluice.tmpl");
        files.put("bin/run", "bin-run.tmpl");
        files.put("bin/validate", "bin-validate.tmpl");
        files.put("bin/deploy", "bin-deploy.tmpl");
        files.put("conf/sluice.env", "sluice.env.tmpl");
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path target = project.resolve(f.getKey());
            Files.createDirectories(target.getParent());
            Files.writeString(target, fill(template(f.getValue()), vars));
            if (f.getKey().equals("mvnw") || f.getKey().startsWith("bin/")) {
                Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
        Path services =
                project.resolve(
                        "src/main/resources/META-INF/services/io.sluice.spec.plugin.PluginDescriptor");
        Files.createDirectories(services.getParent());
        Files.writeString(services, packageName + "." + className + "\n");
        Files.createDirectories(project.resolve("jobs"));
        Files.copy(from, project.resolve(specPath));

        out.printf(
                "made %s: processor '%s' (%s.%s), spec %s%n",
                project, name, packageName, className, specPath);
        List<String> relative = relativeFiles(spec);
        if (!relative.isEmpty()) {
            out.printf(
                    "  the spec reads %s relative to its folder: copy %s into %s%n",
                    String.join(", ", relative),
                    relative.size() == 1 ? "it" : "them",
                    project.resolve("jobs"));
        }
        out.printf(
                "next: cd %s && ./mvnw verify && bin/validate && bin/run   (README.md says more)%n",
                project);
        out.printf(
                "  it builds against Sluice %s from your Maven repository: './mvnw install"
                        + " -DskipTests' in %s puts it there (./sluice does on first use)%n",
                vars.get("sluice.version"), vars.get("SLUICE_HOME"));
        return 0;
    }

    /** {@code fare-checks} is {@code FareChecks}. */
    static String camel(String name) {
        StringBuilder sb = new StringBuilder();
        for (String part : name.split("-")) {
            sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        return sb.toString();
    }

    /** The Sluice modules the spec's plugins come from, as provided dependencies. */
    static String dependencies(Spec spec) {
        Set<String> types = new LinkedHashSet<>();
        spec.sources().forEach(s -> types.add(s.type()));
        spec.sinks().forEach(s -> types.add(s.type()));
        spec.pipelines().forEach(p -> p.steps().forEach(s -> types.add(s.processor())));
        Set<String> modules = new LinkedHashSet<>(List.of("sluice-runtime"));
        if (types.contains("kafka")) {
            modules.add("sluice-kafka");
        }
        if (types.contains("jdbc") || types.contains("enrich")) {
            modules.add("sluice-jdbc");
        }
        if (types.contains("redis")) {
            modules.add("sluice-redis");
        }
        StringBuilder sb = new StringBuilder();
        for (String m : modules) {
            sb.append("    <dependency>\n")
                    .append("      <groupId>io.sluice</groupId>\n")
                    .append("      <artifactId>")
                    .append(m)
                    .append("</artifactId>\n")
                    .append("      <version>${sluice.version}</version>\n")
                    .append("      <scope>provided</scope>\n")
                    .append("    </dependency>\n");
        }
        return sb.toString().stripTrailing();
    }

    private static List<String> relativeFiles(Spec spec) {
        List<String> out = new ArrayList<>();
        for (Spec.SourceSpec s : spec.sources()) {
            String p = s.options().string("path");
            if (s.type().equals("file") && p != null && !Path.of(p).isAbsolute()) {
                out.add(p);
            }
        }
        return out;
    }

    /** The Sluice checkout the CLI runs from (its {@code ./sluice} script). */
    static Path sluiceHome() {
        Path cli = io.sluice.cli.deploy.JobJar.lib().getParent(); // sluice-cli/target
        Path home = cli.getParent() == null ? cli : cli.getParent().getParent();
        return home == null ? Path.of(".").toAbsolutePath() : home.toAbsolutePath().normalize();
    }

    static String fill(String text, Map<String, String> vars) {
        String s = text;
        for (Map.Entry<String, String> v : vars.entrySet()) {
            s = s.replace("@" + v.getKey() + "@", v.getValue());
        }
        return s;
    }

    private static String template(String name) throws IOException {
        try (InputStream in = resource(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = NewCommand.class.getResourceAsStream("/scaffold/" + name);
        if (in == null) {
            throw new IOException("the CLI lacks its scaffold template " + name);
        }
        return in;
    }
}
