package io.sluice.runtime.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.RecyclerPool;
import java.io.IOException;
import java.io.Writer;

/**
 * Copies the object or array at a parser's current token as compact JSON text, the text {@code
 * JsonNode.toString()} gives for the same value read as a tree (numbers as the tree holds them:
 * whole numbers as int, long or big integer, others as double), without building the tree. One per
 * task: it reuses its buffer and generator.
 */
public final class CompactJson {
    private static final JsonFactory JSON = new JsonFactory().setRootValueSeparator(null);

    /**
     * A factory for one thread's parsers (one task's): it keeps one set of buffers for them, where
     * the default looks buffers up per parser in a thread-local, slow on Flink's task threads.
     */
    public static JsonFactory factory() {
        return JsonFactory.builder().recyclerPool(new OneThreadPool()).build();
    }

    /** Buffers for parsers of one thread: a parser within a parser gets fresh ones. */
    private static final class OneThreadPool implements RecyclerPool<BufferRecycler> {
        private static final long serialVersionUID = 1L;
        private transient BufferRecycler free;

        @Override
        public BufferRecycler acquirePooled() {
            BufferRecycler r = free;
            free = null;
            return r != null ? r : new BufferRecycler();
        }

        @Override
        public void releasePooled(BufferRecycler r) {
            free = r;
        }
    }

    private final Buffer buffer = new Buffer();
    private JsonGenerator generator;

    /** The value at {@code p}'s current token, consumed up to its end token. */
    public String copy(JsonParser p) throws IOException {
        if (generator == null) {
            generator = JSON.createGenerator(buffer);
        }
        buffer.text.setLength(0);
        try {
            copyValue(p, generator);
            generator.flush();
        } catch (IOException | RuntimeException e) {
            generator = null; // a half-written value must not lead the next one
            throw e;
        }
        return buffer.text.toString();
    }

    private static void copyValue(JsonParser p, JsonGenerator g) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                g.writeStartObject();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    g.writeFieldName(p.currentName());
                    p.nextToken();
                    copyValue(p, g);
                }
                g.writeEndObject();
            }
            case START_ARRAY -> {
                g.writeStartArray();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    copyValue(p, g);
                }
                g.writeEndArray();
            }
            case VALUE_STRING -> g.writeString(p.getText());
            case VALUE_NUMBER_INT -> {
                switch (p.getNumberType()) {
                    case INT -> g.writeNumber(p.getIntValue());
                    case LONG -> g.writeNumber(p.getLongValue());
                    default -> g.writeNumber(p.getBigIntegerValue());
                }
            }
            case VALUE_NUMBER_FLOAT -> g.writeNumber(p.getDoubleValue());
            case VALUE_TRUE -> g.writeBoolean(true);
            case VALUE_FALSE -> g.writeBoolean(false);
            case VALUE_NULL -> g.writeNull();
            default -> throw new IOException("unexpected JSON token " + t);
        }
    }

    /** A writer into a reusable builder. */
    private static final class Buffer extends Writer {
        final StringBuilder text = new StringBuilder(256);

        @Override
        public void write(char[] cbuf, int off, int len) {
            text.append(cbuf, off, len);
        }

        @Override
        public void write(String str, int off, int len) {
            text.append(str, off, off + len);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    }
}
