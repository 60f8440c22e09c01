package io.sluice.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.spec.plugin.PluginKind;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.schema.JsonSchemas;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice schema}: JSON Schemas for specs and live config, for editors. */
@Command(
        name = "schema",
        mixinStandardHelpOptions = true,
        description = {
            "Write JSON Schemas (draft-07) for job specs and live config, generated from the"
                    + " declarations 'sluice validate' binds with, plugins' options included (those"
                    + " on SLUICE_CLASSPATH too), so an editor completes keys and flags typos.",
            "Files: " + SchemaCommand.SPEC_FILE + ", " + SchemaCommand.CONFIG_FILE + "."
        })
final class SchemaCommand implements Callable<Integer> {
    static final String SPEC_FILE = "sluice-spec.schema.json";
    static final String CONFIG_FILE = "sluice-config.schema.json";

    @Option(
            names = {"-d", "--dir"},
            paramLabel = "DIR",
            description = "folder to write them to (default: ${DEFAULT-VALUE})")
    Path dir = Path.of("schemas");

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = cmd.commandLine().getOut();
        PluginRegistry registry = PluginRegistry.load();
        Files.createDirectories(dir);
        write(dir.resolve(SPEC_FILE), JsonSchemas.spec(registry), "job specs", out);
        write(dir.resolve(CONFIG_FILE), JsonSchemas.config(registry), "live config", out);
        out.printf(
                "plugins: sources %s; sinks %s; processors %s%n",
                registry.identifiers(PluginKind.SOURCE),
                registry.identifiers(PluginKind.SINK),
                registry.identifiers(PluginKind.PROCESSOR));
        out.println(
                "editors: put '# yaml-language-server: $schema=PATH' first in a spec, PATH the"
                        + " schema's path relative to the spec (README, 'In your editor')");
        return 0;
    }

    private static void write(Path file, ObjectNode schema, String what, PrintWriter out)
            throws IOException {
        Files.writeString(file, JsonSchemas.text(schema));
        out.printf("wrote %s (%s, %,d bytes)%n", file, what, Files.size(file));
    }
}
