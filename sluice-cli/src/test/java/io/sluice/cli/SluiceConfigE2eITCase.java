package io.sluice.cli;

import static io.sluice.cli.SluiceE2eITCase.ROOT;
import static io.sluice.cli.SluiceE2eITCase.sluice;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.cli.SluiceE2eITCase.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./sluice config ...} as a user runs it, on a copy of the shop example (so the example's
 * own store is left alone): set, a rejected set, a stale set, history, diff, get and rollback.
 */
class SluiceConfigE2eITCase {
    @Test
    void theConfigCommandsVersionCheckDiffAndRollBack(@TempDir Path dir) throws Exception {
        Path shop = dir.resolve("shop");
        Files.createDirectories(shop.resolve("config"));
        Files.copy(ROOT.resolve("examples/shop/shop.yaml"), shop.resolve("shop.yaml"));
        String v1 = Files.readString(ROOT.resolve("examples/shop/config/routes.yaml"));
        Files.writeString(shop.resolve("config/routes.yaml"), v1);
        Files.writeString(dir.resolve("v2.yaml"), v1.replace("amount > 100.0", "amount > 150.0"));
        Files.writeString(
                dir.resolve("bad.yaml"), v1.replace("processor: filter", "processor: fitler"));

        // the hand-written routes.yaml becomes version 1 on first use
        Result get = sluice(dir, "config", "get", "shop/shop.yaml");
        assertThat(get.exit()).as(get.err()).isZero();
        assertThat(get.out())
                .startsWith("# version 1 by routes.yaml at ")
                .contains("amount > 100.0");

        Result bad = sluice(dir, "config", "set", "shop/shop.yaml", "bad.yaml");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err())
                .contains(
                        "routes.yaml:9:16: routes[0].processor: unknown processor 'fitler'",
                        "did you mean 'filter'?",
                        "no version was written and the running config stays");

        Result set =
                sluice(
                        dir,
                        "config",
                        "set",
                        "shop/shop.yaml",
                        "v2.yaml",
                        "--author",
                        "ann",
                        "-m",
                        "stricter");
        assertThat(set.exit()).as(set.err()).isZero();
        assertThat(set.out()).startsWith("Wrote version 2 by ann at ").contains(": stricter");

        Result stale = sluice(dir, "config", "set", "shop/shop.yaml", "v2.yaml", "--expect", "1");
        assertThat(stale.exit()).isEqualTo(3);
        assertThat(stale.err()).contains("now version 2, expected 1");

        Result diff = sluice(dir, "config", "diff", "shop/shop.yaml", "1", "2");
        assertThat(diff.exit()).isZero();
        assertThat(diff.out())
                .contains("--- version 1", "+++ version 2")
                .contains("-      condition: amount > 100.0", "+      condition: amount > 150.0");

        Result rollback = sluice(dir, "config", "rollback", "shop/shop.yaml", "1");
        assertThat(rollback.exit()).as(rollback.err()).isZero();
        assertThat(rollback.out()).contains("Wrote version 3").contains("rollback to version 1");
        assertThat(Files.readString(shop.resolve("config/routes.yaml"))).isEqualTo(v1);

        Result history = sluice(dir, "config", "history", "shop/shop.yaml");
        assertThat(history.out().lines()).hasSize(3).first().asString().startsWith("version 3 by ");
    }
}
