package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.kafka.broker.LocalBroker;
import io.sluice.kafka.tools.Replay;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Kafka walkthrough as a process: a real broker, the bundled trips replayed into it,
 * {@code ./sluice run examples/taxi/taxi-kafka.yaml} reading them without end, then stopped the way
 * Ctrl-C stops it (the JVM's shutdown hook): the job is cancelled and the summary printed.
 */
class SluiceKafkaE2eITCase {
    @Test
    void theKafkaTaxiRunStopsCleanlyAndReportsWhatItDid(@TempDir Path dir) throws Exception {
        try (LocalBroker broker = LocalBroker.start(dir.resolve("kafka"), 0)) {
            String bs = broker.bootstrapServers();
            Replay.Counts replayed =
                    Replay.into(bs, "taxi-raw-data")
                            .run(
                                    SluiceE2eITCase.ROOT.resolve(
                                            "examples/taxi/data/trips-sample.csv"));
            assertThat(replayed.sent()).isEqualTo(3_000);

            List<String> cmd = new ArrayList<>();
            cmd.add(SluiceE2eITCase.ROOT.resolve("sluice").toString());
            cmd.addAll(
                    List.of(
                            "run",
                            "examples/taxi/taxi-kafka.yaml",
                            "--no-web-ui",
                            "--progress-every",
                            "0.5"));
            cmd.addAll(List.of("-o", dir.resolve("out").toString()));
            for (String id :
                    List.of("trips", "area-stats", "taxi-alerts", "late-trips", "dead-letters")) {
                cmd.addAll(List.of("--set", id + ".bootstrap-servers=" + bs));
            }
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(SluiceE2eITCase.ROOT.toFile());
            pb.environment().put("SLUICE_NO_BUILD", "1");
            Path out = dir.resolve("stdout.txt");
            pb.redirectOutput(out.toFile()).redirectError(dir.resolve("stderr.txt").toFile());
            Process p = pb.start();
            try {
                await().atMost(Duration.ofSeconds(90))
                        .until(() -> Files.readString(out).contains("rows in 3,000 "));
            } finally {
                p.destroy(); // SIGTERM: the same shutdown hook as Ctrl-C
            }
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("stopped within a minute").isTrue();
            String text = Files.readString(out);
            assertThat(text)
                    .contains("Stopping: cancelling the job ...")
                    .contains(
                            "Stopped with Ctrl-C: the counts cover what was processed until then.")
                    .contains("Stopped taxi-kafka (spec ");
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile(
                                    "rows in\\s+([\\d,]+)\\s+= accepted ([\\d,]+) \\+ dead letters ([\\d,]+)\\n")
                            .matcher(text);
            assertThat(m.find()).as(text).isTrue();
            long in = SluiceE2eITCase.num(m.group(1));
            long accepted = SluiceE2eITCase.num(m.group(2));
            long dead = SluiceE2eITCase.num(m.group(3));
            // every replayed line was read, and each is accepted or a dead letter
            assertThat(in).isEqualTo(3_000);
            assertThat(accepted + dead).isEqualTo(in);
            assertThat(dead).isPositive();
            assertThat(accepted).isPositive();
        }
    }
}
