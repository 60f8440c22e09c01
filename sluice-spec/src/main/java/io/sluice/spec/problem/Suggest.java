package io.sluice.spec.problem;

import java.util.Collection;
import java.util.Optional;
import java.util.TreeSet;

/** "Did you mean" support: the closest known word by edit distance, when it is close enough. */
public final class Suggest {
    private Suggest() {}

    public static Optional<String> closest(String word, Collection<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : sorted(known)) {
            int d = distance(word.toLowerCase(), k.toLowerCase());
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        int allowed = Math.max(2, word.length() / 3);
        if (best != null && bestDistance <= allowed && bestDistance < word.length()) {
            return Optional.of(best);
        }
        // "dead-letter" for "dead", "area-statistics" for "area-stats": a shared stem of 3+ letters
        for (String k : sorted(known)) {
            String a = word.toLowerCase();
            String b = k.toLowerCase();
            if (Math.min(a.length(), b.length()) >= 3 && (a.startsWith(b) || b.startsWith(a))) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    /** "unknown x 'foo' (known: a, b, c); did you mean 'fo'?" */
    public static String unknown(String what, String word, Collection<String> known) {
        StringBuilder sb =
                new StringBuilder("unknown ").append(what).append(" '").append(word).append("'");
        TreeSet<String> words = sorted(known);
        sb.append(
                words.isEmpty()
                        ? " (none declared)"
                        : " (known: " + String.join(", ", words) + ")");
        closest(word, known).ifPresent(c -> sb.append("; did you mean '").append(c).append("'?"));
        return sb.toString();
    }

    private static TreeSet<String> sorted(Collection<String> known) {
        TreeSet<String> out = new TreeSet<>();
        for (String k : known) {
            if (k != null) {
                out.add(k);
            }
        }
        return out;
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
