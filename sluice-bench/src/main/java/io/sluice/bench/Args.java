package io.sluice.bench;

import java.util.Map;

/** {@code --key=value} arguments over a map of defaults; unknown keys are errors. */
public final class Args {
    private Args() {}

    /** Puts each argument's value into {@code values}, whose keys are the known options. */
    public static void parse(String[] args, Map<String, String> values, Map<String, String> given) {
        for (String a : args) {
            int eq = a.indexOf('=');
            if (!a.startsWith("--") || eq < 0) {
                throw new IllegalArgumentException("expected --key=value, found '" + a + "'");
            }
            String key = a.substring(2, eq);
            if (!values.containsKey(key)) {
                throw new IllegalArgumentException(
                        "unknown option --"
                                + key
                                + " (known: "
                                + String.join(", ", values.keySet())
                                + ")");
            }
            values.put(key, a.substring(eq + 1));
            if (given != null) {
                given.put(key, a.substring(eq + 1));
            }
        }
    }
}
