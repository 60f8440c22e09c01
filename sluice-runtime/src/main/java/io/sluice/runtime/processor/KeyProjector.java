package io.sluice.runtime.processor;

import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.Options;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.problem.Suggest;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.java.functions.KeySelector;

/** Projects the key fields of a row into a row of their own, which is the Flink key. */
public final class KeyProjector implements KeySelector<EventRow, EventRow> {
    private static final long serialVersionUID = 1L;

    private final int[] indexes;

    public KeyProjector(int[] indexes) {
        this.indexes = indexes;
    }

    public static KeyProjector of(RowSchema schema, List<String> fields) {
        return new KeyProjector(fields.stream().mapToInt(schema::indexOf).toArray());
    }

    /** The key's schema: the named fields, in order. */
    public static RowSchema keySchema(RowSchema schema, List<String> fields) {
        List<Field> out = new ArrayList<>();
        for (String f : fields) {
            out.add(schema.field(f));
        }
        return new RowSchema(out);
    }

    public static EventRowTypeInfo keyType(RowSchema schema, List<String> fields) {
        return new EventRowTypeInfo(keySchema(schema, fields));
    }

    /** Checks a {@code key} option: a non-empty list of existing fields. */
    public static void check(Options o, String option, RowSchema input, Problems problems) {
        List<String> key = o.list(option);
        if (key.isEmpty() && o.get(option) != null) {
            problems.add(o.pos(option), o.path(option), "name at least one key field");
        }
        for (int i = 0; i < key.size(); i++) {
            if (key.get(i) != null && input.field(key.get(i)) == null) {
                problems.add(
                        o.pos(option, i),
                        o.path(option) + "[" + i + "]",
                        Suggest.unknown("field", key.get(i), input.names()));
            }
        }
    }

    @Override
    public EventRow getKey(EventRow row) {
        Object[] key = new Object[indexes.length];
        for (int i = 0; i < indexes.length; i++) {
            key[i] = row.get(indexes[i]);
        }
        return EventRow.of(key);
    }
}
