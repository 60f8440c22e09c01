package io.sluice.spec.model;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/** The fields of the rows flowing between two steps, in order. */
public record RowSchema(List<Field> fields) implements Serializable {
    public RowSchema {
        fields = List.copyOf(fields);
    }

    public static RowSchema of(Field... fields) {
        return new RowSchema(List.of(fields));
    }

    public int size() {
        return fields.size();
    }

    public int indexOf(String name) {
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    public Field field(String name) {
        int i = indexOf(name);
        return i < 0 ? null : fields.get(i);
    }

    public List<String> names() {
        return fields.stream().map(Field::name).toList();
    }

    /** This schema with {@code f} appended, or replacing the field of the same name. */
    public RowSchema with(Field f) {
        List<Field> out = new ArrayList<>(fields);
        int i = indexOf(f.name());
        if (i >= 0) {
            out.set(i, f);
        } else {
            out.add(f);
        }
        return new RowSchema(out);
    }

    /** This schema with the named field marked as always present. */
    public RowSchema nonNull(String name) {
        Field f = field(name);
        return f == null ? this : with(new Field(name, f.type(), false));
    }
}
