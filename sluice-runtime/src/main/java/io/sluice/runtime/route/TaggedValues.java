package io.sluice.runtime.route;

import java.io.IOException;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * Values of rows whose layout varies from record to record (each route has its own fields): every
 * value is written after a one-byte tag of its type.
 */
final class TaggedValues {
    private static final byte NULL = 0;
    private static final byte STRING = 1;
    private static final byte LONG = 2;
    private static final byte DOUBLE = 3;
    private static final byte TRUE = 4;
    private static final byte FALSE = 5;

    private TaggedValues() {}

    static void write(Object[] values, DataOutputView out) throws IOException {
        out.writeInt(values.length);
        for (Object v : values) {
            if (v == null) {
                out.writeByte(NULL);
            } else if (v instanceof String s) {
                out.writeByte(STRING);
                StringValue.writeString(s, out);
            } else if (v instanceof Long l) {
                out.writeByte(LONG);
                out.writeLong(l);
            } else if (v instanceof Double d) {
                out.writeByte(DOUBLE);
                out.writeDouble(d);
            } else if (v instanceof Boolean b) {
                out.writeByte(b ? TRUE : FALSE);
            } else {
                throw new IOException("a row value of unsupported type " + v.getClass());
            }
        }
    }

    static Object[] read(DataInputView in) throws IOException {
        Object[] values = new Object[in.readInt()];
        for (int i = 0; i < values.length; i++) {
            byte tag = in.readByte();
            values[i] =
                    switch (tag) {
                        case NULL -> null;
                        case STRING -> StringValue.readString(in);
                        case LONG -> in.readLong();
                        case DOUBLE -> in.readDouble();
                        case TRUE -> Boolean.TRUE;
                        case FALSE -> Boolean.FALSE;
                        default -> throw new IOException("corrupt row value tag " + tag);
                    };
        }
        return values;
    }

    static void writeBytes(byte[] b, DataOutputView out) throws IOException {
        if (b == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(b.length);
            out.write(b);
        }
    }

    static byte[] readBytes(DataInputView in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    static void writeNullable(String s, DataOutputView out) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            StringValue.writeString(s, out);
        }
    }

    static String readNullable(DataInputView in) throws IOException {
        return in.readBoolean() ? StringValue.readString(in) : null;
    }
}
