package io.sluice.cli;

import io.sluice.sql.FlinkSqlRunner;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code sluice flink-sql FILE}: runs a Flink SQL script on an embedded Flink. */
@Command(
        name = "flink-sql",
        mixinStandardHelpOptions = true,
        description = {
            "Run a Flink SQL script (e.g. one 'sluice render sql' wrote) on an embedded Flink"
                    + " MiniCluster, as the SQL client would: SET statements configure the job,"
                    + " CREATE statements run in order, the INSERTs run as one job.",
            "Ends when the job does (bounded sources); Ctrl-C stops it."
        })
final class FlinkSqlCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "the script")
    Path file;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = cmd.commandLine().getOut();
        PrintWriter err = cmd.commandLine().getErr();
        if (!Files.isRegularFile(file)) {
            err.println(file + ": no such file");
            return SluiceCli.FAILED;
        }
        String script = Files.readString(file);
        int statements = FlinkSqlRunner.statements(script).size();
        long start = System.nanoTime();
        TableEnvironment env = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        TableResult result = FlinkSqlRunner.run(script, env);
        if (result == null) {
            out.printf("%s: %d statements, no INSERT: nothing to run%n", file, statements);
            return 0;
        }
        String job = result.getJobClient().map(c -> c.getJobID().toString()).orElse("?");
        out.printf("%s: %d statements; job %s running ...%n", file, statements, job);
        out.flush();
        result.await();
        out.printf("%s: job %s finished in %.1f s%n", file, job, (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
