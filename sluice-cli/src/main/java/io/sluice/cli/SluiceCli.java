package io.sluice.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sluice} command. Subcommands return exit codes; only {@link #main} exits. */
@Command(
        name = "sluice",
        mixinStandardHelpOptions = true,
        version = "sluice 0.1.0",
        description = "Configuration-driven real-time pipelines on Apache Flink.",
        subcommands = {
            ValidateCommand.class,
            SchemaCommand.class,
            NewCommand.class,
            RunCommand.class,
            ConfigCommand.class,
            ServeCommand.class,
            KafkaCommand.class,
            RedisCommand.class,
            MariadbCommand.class,
            SqlCommand.class,
            RenderCommand.class,
            FlinkSqlCommand.class,
            DeployCommand.class,
            StatusCommand.class,
            StopCommand.class,
            UpgradeCommand.class,
            ClusterCommand.class,
            ReplayCommand.class,
            ConsumeCommand.class,
            CommandLine.HelpCommand.class
        })
public final class SluiceCli {
    /** Exit code for a spec with problems. */
    public static final int BAD_SPEC = 2;

    /** Exit code for a failure while running. */
    public static final int FAILED = 1;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return new CommandLine(new SluiceCli())
                .setExecutionExceptionHandler(
                        (ex, cmd, parsed) -> {
                            cmd.getErr().println("error: " + Errors.oneLine(ex));
                            cmd.getErr()
                                    .println("(run with SLUICE_STACKTRACE=1 for the stack trace)");
                            if (System.getenv("SLUICE_STACKTRACE") != null) {
                                ex.printStackTrace(cmd.getErr());
                            }
                            return FAILED;
                        });
    }
}
