package io.sluice.control.store;

import io.sluice.spec.problem.Problems;
import io.sluice.spec.yaml.Pos;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A stand-in for the routes validator (written elsewhere): one located problem per occurrence of a
 * banned word, "BAD" from the start. Tests ban more words to make old versions invalid.
 */
final class BannedWords implements ConfigValidator {
    final Set<String> banned = ConcurrentHashMap.newKeySet();
    volatile Problems lastReturned;

    BannedWords() {
        banned.add("BAD");
    }

    @Override
    public Problems validate(String file, String text) {
        Problems problems = new Problems();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            for (String word : banned) {
                for (int at = lines[i].indexOf(word);
                        at >= 0;
                        at = lines[i].indexOf(word, at + 1)) {
                    problems.add(new Pos(file, i + 1, at + 1), "", "'" + word + "' is not allowed");
                }
            }
        }
        lastReturned = problems;
        return problems;
    }
}
