package io.sluice.runtime.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LineReadingTest {
    static String next(InputStream in) throws IOException {
        byte[] b = FileSourceFactory.LineFormat.readLine(in);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void linesLoseTheirBreaksAndAByteOrderMark() throws IOException {
        byte[] file = "\uFEFFtrip_id,fare\r\na,1.5\n\nb,2\n".getBytes(StandardCharsets.UTF_8);
        InputStream in = new ByteArrayInputStream(file);
        assertThat(next(in)).isEqualTo("trip_id,fare");
        assertThat(next(in)).isEqualTo("a,1.5");
        assertThat(next(in)).isEqualTo("");
        assertThat(next(in)).isEqualTo("b,2");
        assertThat(next(in)).isNull();
    }

    @Test
    void theLastLineNeedsNoBreak() throws IOException {
        InputStream in = new ByteArrayInputStream("x\ny".getBytes(StandardCharsets.UTF_8));
        assertThat(next(in)).isEqualTo("x");
        assertThat(next(in)).isEqualTo("y");
        assertThat(next(in)).isNull();
    }
}
