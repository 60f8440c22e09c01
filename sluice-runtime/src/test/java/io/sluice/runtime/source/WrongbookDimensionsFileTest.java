package io.sluice.runtime.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The example's {@code dimensions.sql} holds exactly the rows {@link WrongbookDimensions} derives,
 * so the walkthrough's tables match the events the generator sends.
 */
class WrongbookDimensionsFileTest {
    @Test
    void theExampleFileHoldsTheGeneratorsRows() throws Exception {
        List<String> statements =
                Arrays.stream(
                                Files.readString(
                                                Path.of("../examples/wrongbook/ddl/dimensions.sql"))
                                        .split("\n"))
                        .filter(l -> !l.startsWith("--") && !l.isBlank())
                        .map(l -> l.substring(0, l.length() - 1))
                        .toList();
        assertThat(statements).isEqualTo(WrongbookDimensions.inserts());
        // 8 subjects one by one, 3,000 questions and 2,000 users 500 to a statement
        assertThat(statements).hasSize(8 + 6 + 4);
    }
}
