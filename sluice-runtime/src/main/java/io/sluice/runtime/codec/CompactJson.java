package io.sluice.runtime.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.RecyclerPool;
import java.io.IOException;

/**
 * Copies the object or array at a parser's current token as compact JSON text, the text {@code
 * JsonNode.toString()} gives for the same value read as a tree (numbers as the tree holds them:
 * whole numbers as int, long or big integer, others as double; strings escaped as Jackson escapes
 * them by default), without building the tree or a generator. One per task: it reuses its buffer.
 *
 * <p>A value with a repeated key anywhere in it is not copied ({@link DuplicateKey}): a tree keeps
 * one of the values, or its parser rejects the text, so such values are left to the tree path.
 */
public final class CompactJson {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

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

    private final StringBuilder text = new StringBuilder(256);

    /** Thrown for a value with a repeated key; it has no stack trace. */
    public static final class DuplicateKey extends IOException {
        private static final long serialVersionUID = 1L;
        static final DuplicateKey INSTANCE = new DuplicateKey();

        private DuplicateKey() {
            super("a repeated key");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** Skips the value at {@code p}'s current token, checking it for repeated keys. */
    public static void skip(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_OBJECT) {
            Keys keys = new Keys();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                keys.add(p.currentName());
                p.nextToken();
                skip(p);
            }
        } else if (t == JsonToken.START_ARRAY) {
            while (p.nextToken() != JsonToken.END_ARRAY) {
                skip(p);
            }
        }
    }

    /** The keys of one object so far: a short list, a set when it grows. */
    public static final class Keys {
        // an open-addressing table reused line after line: a slot counts only if its stamp is the
        // current line's, so starting a new line costs nothing
        private final String[] table;
        private final int[] stamps;
        private int stamp = 1;
        private int count;
        private java.util.Set<String> many;

        /** For an object of a few keys (up to 8 without a hash set). */
        public Keys() {
            this(16);
        }

        /**
         * @param capacity a power of two; up to half of it are kept without a hash set
         */
        public Keys(int capacity) {
            table = new String[capacity];
            stamps = new int[capacity];
        }

        /** Forgets the keys added so far (the next object starts). */
        public void reset() {
            stamp++;
            count = 0;
            many = null;
        }

        /** Adds {@code key}, or throws {@link DuplicateKey} when the object has it already. */
        public void add(String key) throws DuplicateKey {
            if (many != null) {
                if (!many.add(key)) {
                    throw DuplicateKey.INSTANCE;
                }
                return;
            }
            int mask = table.length - 1;
            for (int i = key.hashCode() & mask; ; i = (i + 1) & mask) {
                if (stamps[i] != stamp) {
                    if (count == table.length / 2) {
                        many = new java.util.HashSet<>();
                        for (int j = 0; j < table.length; j++) {
                            if (stamps[j] == stamp) {
                                many.add(table[j]);
                            }
                        }
                        many.add(key);
                        return;
                    }
                    stamps[i] = stamp;
                    table[i] = key;
                    count++;
                    return;
                }
                if (table[i] == key || table[i].equals(key)) {
                    throw DuplicateKey.INSTANCE;
                }
            }
        }
    }

    /** The value at {@code p}'s current token, consumed up to its end token. */
    public String copy(JsonParser p) throws IOException {
        text.setLength(0);
        copyValue(p, text);
        return text.toString();
    }

    private static void copyValue(JsonParser p, StringBuilder out) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                out.append('{');
                boolean first = true;
                Keys keys = new Keys();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    keys.add(p.currentName());
                    string(p.currentName(), out);
                    out.append(':');
                    p.nextToken();
                    copyValue(p, out);
                }
                out.append('}');
            }
            case START_ARRAY -> {
                out.append('[');
                boolean first = true;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    copyValue(p, out);
                }
                out.append(']');
            }
            case VALUE_STRING -> string(p.getText(), out);
            case VALUE_NUMBER_INT -> {
                switch (p.getNumberType()) {
                    case INT -> out.append(p.getIntValue());
                    case LONG -> out.append(p.getLongValue());
                    default -> out.append(p.getBigIntegerValue());
                }
            }
            case VALUE_NUMBER_FLOAT -> {
                double d = p.getDoubleValue();
                if (Double.isFinite(d)) {
                    out.append(Double.toString(d));
                } else {
                    // Jackson quotes non-finite numbers by default
                    out.append('"').append(Double.toString(d)).append('"');
                }
            }
            case VALUE_TRUE -> out.append("true");
            case VALUE_FALSE -> out.append("false");
            case VALUE_NULL -> out.append("null");
            default -> throw new IOException("unexpected JSON token " + t);
        }
    }

    /**
     * A quoted string as Jackson's default escaping writes it: quote and backslash escaped, control
     * characters as short escapes (b, t, n, f, r) or as u00XX, everything else as is.
     */
    private static void string(String s, StringBuilder out) {
        out.append('"');
        int n = s.length();
        int from = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\') {
                continue;
            }
            out.append(s, from, i);
            from = i + 1;
            out.append('\\');
            switch (c) {
                case '"' -> out.append('"');
                case '\\' -> out.append('\\');
                case '\b' -> out.append('b');
                case '\t' -> out.append('t');
                case '\n' -> out.append('n');
                case '\f' -> out.append('f');
                case '\r' -> out.append('r');
                default -> out.append("u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
            }
        }
        out.append(s, from, n).append('"');
    }
}
