package io.sluice.runtime.run;

import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Runs a spec on an embedded Flink MiniCluster with the web UI on a free local port, printing a
 * progress line every couple of seconds, and returns the run's summary.
 */
public final class LocalRunner {
    /** How to run: where outputs go, progress cadence, web UI on or off, parallelism override. */
    public record Options(
            Path outputDir, Duration progressEvery, boolean webUi, Integer parallelism) {}

    private final PluginRegistry registry;

    public LocalRunner(PluginRegistry registry) {
        this.registry = registry;
    }

    /** Flink settings every Sluice run uses: no Kryo fallback, fast accumulator reports. */
    public static Map<String, String> baseConfig(Spec spec) {
        Map<String, String> conf = new HashMap<>();
        conf.put("pipeline.generic-types", "false");
        conf.put("heartbeat.interval", "1000");
        if (spec.runtime().restartAttempts() > 0) {
            conf.put("restart-strategy.type", "fixed-delay");
            conf.put(
                    "restart-strategy.fixed-delay.attempts",
                    Integer.toString(spec.runtime().restartAttempts()));
            conf.put("restart-strategy.fixed-delay.delay", "1 s");
        } else {
            conf.put("restart-strategy.type", "none");
        }
        return conf;
    }

    /** What to do with the summary when the job ends or is stopped with Ctrl-C (then true). */
    public interface Report {
        void accept(RunSummary summary, boolean stopped) throws Exception;
    }

    /**
     * Runs the spec, printing progress to {@code log}, and hands the summary to {@code report}
     * before returning it: also when Ctrl-C stops an unbounded job, before the JVM exits.
     */
    public RunSummary run(Spec spec, Path specDir, Options options, PrintStream log, Report report)
            throws Exception {
        Map<String, String> conf = baseConfig(spec);
        if (options.parallelism() != null) {
            spec = spec.withParallelism(options.parallelism());
        }
        int parallelism = spec.runtime().parallelism();
        conf.put("parallelism.default", Integer.toString(parallelism));
        conf.put("taskmanager.numberOfTaskSlots", Integer.toString(parallelism));
        StreamExecutionEnvironment env;
        String web = null;
        if (options.webUi()) {
            int port = freePort();
            conf.put("rest.port", Integer.toString(port));
            conf.put("rest.bind-address", "127.0.0.1");
            conf.put("rest.address", "127.0.0.1");
            env =
                    StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(
                            Configuration.fromMap(conf));
            web = "http://127.0.0.1:" + port;
        } else {
            env = StreamExecutionEnvironment.createLocalEnvironment(Configuration.fromMap(conf));
        }
        RunContext run = new RunContext(specDir, options.outputDir());
        new JobComposer(registry, run).compose(spec, env);

        long start = System.nanoTime();
        JobClient client = env.executeAsync(spec.name());
        if (web != null) {
            log.println("Flink web UI: " + web + "   (open while the job runs)");
        }
        // the output folder matters only to sinks that write files
        Path files =
                spec.sinks().stream().anyMatch(x -> "file".equals(x.type()))
                        ? options.outputDir()
                        : null;
        if (files != null) {
            log.println("Outputs:      " + files.toAbsolutePath());
        }
        long every = options.progressEvery().toMillis();
        long previous = 0;
        Map<String, Object> last = Map.of();
        // Ctrl-C: cancel the job and let the summary of what it did print before the JVM exits
        AtomicBoolean stopping = new AtomicBoolean();
        AtomicBoolean finished = new AtomicBoolean();
        CountDownLatch reported = new CountDownLatch(1);
        Thread hook =
                new Thread(
                        () -> {
                            if (finished.get()) {
                                return; // the job ended on its own; its summary is printing
                            }
                            stopping.set(true);
                            log.println("Stopping: cancelling the job ...");
                            try {
                                client.cancel().get(30, TimeUnit.SECONDS);
                            } catch (Exception e) {
                                // already finished or failing: the summary still follows
                            }
                            try {
                                reported.await(30, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        "sluice-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            while (true) {
                try {
                    JobExecutionResult result =
                            client.getJobExecutionResult().get(every, TimeUnit.MILLISECONDS);
                    last = result.getAllAccumulatorResults();
                    finished.set(true);
                    break;
                } catch (TimeoutException e) {
                    Map<String, Object> acc = accumulators(client);
                    if (acc != null) {
                        last = acc;
                        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
                        log.println(RunSummary.progress(elapsed, acc, previous, every / 1000.0));
                        previous = RunSummary.asLong(acc.get(Counters.ROWS_IN));
                    }
                } catch (ExecutionException e) {
                    if (!stopping.get()) {
                        throw e;
                    }
                    Map<String, Object> acc = accumulators(client);
                    last = acc != null ? acc : last;
                    break;
                }
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            RunSummary summary = RunSummary.from(spec.name(), spec.hash(), elapsed, last, files);
            if (stopping.get()) {
                summary = summary.asStopped();
            }
            report.accept(summary, stopping.get());
            return summary;
        } finally {
            reported.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down (Ctrl-C): the hook runs, nothing to remove
            }
        }
    }

    private static Map<String, Object> accumulators(JobClient client) {
        try {
            return client.getAccumulators().get(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            return null; // the job may be finishing; the next line or the summary will tell
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
