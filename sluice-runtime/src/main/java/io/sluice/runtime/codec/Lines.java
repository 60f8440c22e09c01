package io.sluice.runtime.codec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads input lines as raw bytes (so invalid UTF-8 reaches the decoder intact). Shared by the
 * {@code file} source and the Kafka replay tool, so a file gives the same records either way.
 */
public final class Lines {
    private Lines() {}

    /**
     * The next line without its line break, a trailing {@code \r} or a leading UTF-8 byte-order
     * mark (spreadsheet "CSV UTF-8" exports), or null at the end.
     */
    public static byte[] read(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
        int b;
        boolean any = false;
        while ((b = in.read()) != -1) {
            any = true;
            if (b == '\n') {
                break;
            }
            buf.write(b);
        }
        if (!any) {
            return null;
        }
        byte[] out = buf.toByteArray();
        if (out.length >= 3
                && (out[0] & 0xFF) == 0xEF
                && (out[1] & 0xFF) == 0xBB
                && (out[2] & 0xFF) == 0xBF) {
            out = Arrays.copyOfRange(out, 3, out.length);
        }
        if (out.length > 0 && out[out.length - 1] == '\r') {
            out = Arrays.copyOf(out, out.length - 1);
        }
        return out;
    }
}
